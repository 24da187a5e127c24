package io.pollkit.sys;

import io.pollkit.bindings.epoll_event;
import io.pollkit.bindings.iovec;
import io.pollkit.bindings.kevent;
import io.pollkit.bindings.msghdr;
import io.pollkit.bindings.pollfd;
import io.pollkit.bindings.sys_event_h;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.errno_h.ENOTCONN;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLET;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_DEL;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public call that takes a segment with a length or a count refuses one past the segment (or
 * negative) with IndexOutOfBoundsException, and the downcall does not happen: the bytes waiting are all
 * still there, the peer receives nothing, the readiness is still reported, the registration was not made.
 * Runs in both surefire executions, so over FFM and over the JNI twin.
 */
class SegmentBoundsTest {
    private Arena arena;
    private int[] pair;   // a connected, non-blocking socketpair: pair[1] writes to pair[0]

    @BeforeEach
    void open() throws Exception {
        arena = Arena.ofShared();   // shared: the timeout runs each lifecycle method and the test on threads of its own
        pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
    }

    @AfterEach
    void close() {
        Unistd.closeQuietly(pair[0]);
        Unistd.closeQuietly(pair[1]);
        arena.close();
    }

    private static void refused(Executable call) {
        assertThrows(IndexOutOfBoundsException.class, call);
    }

    /** "hello" waits on pair[0]. */
    private void hello() throws Exception {
        Loopback.writeFully(pair[1], "hello");
    }

    /** The five bytes of "hello" are all still waiting on pair[0]: nothing was read. */
    private void helloStillWaiting() throws Exception {
        assertEquals("hello", Loopback.readExactly(pair[0], 5));
        nothingWaiting();
    }

    /** Nothing was sent to pair[0]. */
    private void nothingWaiting() throws Exception {
        assertEquals(Results.WOULD_BLOCK, Unistd.read(pair[0], arena.allocate(16), 16));
    }

    @Test
    void readAndRecv() throws Exception {
        hello();
        MemorySegment four = arena.allocate(4);
        refused(() -> Unistd.read(pair[0], four, 5));
        refused(() -> Unistd.read(pair[0], four, -1));
        refused(() -> Sockets.recv(pair[0], four, 5, 0));
        refused(() -> Sockets.recv(pair[0], four, Long.MIN_VALUE, 0));
        refused(() -> Sockets.recvfrom(pair[0], four, 5, 0, null, null));
        MemorySegment addr = arena.allocate(SockAddr.STORAGE_SIZE, 8);
        MemorySegment addrlen = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE + 1);
        refused(() -> Sockets.recvfrom(pair[0], four, 4, 0, addr, addrlen));
        addrlen.set(JAVA_INT, 0, -1);
        refused(() -> Sockets.recvfrom(pair[0], four, 4, 0, addr, addrlen));
        helloStillWaiting();
    }

    @Test
    void writeAndSend() throws Exception {
        MemorySegment four = arena.allocate(4);
        refused(() -> Unistd.write(pair[1], four, 5));
        refused(() -> Unistd.write(pair[1], four, -1));
        refused(() -> Sockets.send(pair[1], four, 5, Sockets.NOSIGNAL));
        refused(() -> Sockets.sendto(pair[1], four, 5, Sockets.NOSIGNAL, null, 0));
        refused(() -> Sockets.sendto(pair[1], four, 4, Sockets.NOSIGNAL, null, 16));
        MemorySegment addr = arena.allocate(8);
        refused(() -> Sockets.sendto(pair[1], four, 4, Sockets.NOSIGNAL, addr, 9));
        nothingWaiting();
    }

    @Test
    void vectorsAndMessages() throws Exception {
        hello();
        MemorySegment buf = arena.allocate(16);
        MemorySegment iov = iovec.allocateArray(1, arena);
        iovec.iov_base(iov, buf);
        iovec.iov_len(iov, buf.byteSize());
        refused(() -> Unistd.readv(pair[0], iov, 2));
        refused(() -> Unistd.readv(pair[0], iov, -1));
        refused(() -> Unistd.writev(pair[1], iov, 2));
        MemorySegment small = arena.allocate(msghdr.sizeof() - 1, 8);
        refused(() -> Sockets.recvmsg(pair[0], small, 0));
        refused(() -> Sockets.sendmsg(pair[1], small, Sockets.NOSIGNAL));
        helloStillWaiting();
    }

    @Test
    void bindAndConnect() throws Exception {
        int listener = Loopback.listener(AF_INET(), Loopback.any4());
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try {
            MemorySegment here = SockAddr.allocate(Loopback.any4(), arena);
            refused(() -> Sockets.bind(fd, here, (int) here.byteSize() + 1));
            refused(() -> Sockets.bind(fd, here, -1));
            assertEquals(0, ((InetSocketAddress) Sockets.getsockname(fd)).getPort(), "still unbound");
            MemorySegment there = SockAddr.allocate(Sockets.getsockname(listener), arena);
            refused(() -> Sockets.connect(fd, there, (int) there.byteSize() + 1));
            refused(() -> Sockets.connect(fd, there, Integer.MIN_VALUE));
            ErrnoException notConnected = assertThrows(ErrnoException.class, () -> Sockets.getpeername(fd));
            assertEquals(ENOTCONN(), notConnected.errno());
            Fcntl.setNonBlocking(listener, true);
            assertEquals(Results.WOULD_BLOCK, Sockets.accept4(listener, null, null, Sockets.CLOEXEC), "no connection was made");
        } finally {
            Unistd.closeQuietly(fd);
            Unistd.closeQuietly(listener);
        }
    }

    @Test
    void accept4() throws Exception {
        int listener = Loopback.listener(AF_INET(), Loopback.any4());
        int client = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            Sockets.connect(client, Sockets.getsockname(listener));
            MemorySegment addr = arena.allocate(SockAddr.STORAGE_SIZE, 8);
            MemorySegment addrlen = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE + 1);
            refused(() -> Sockets.accept4(listener, addr, addrlen, Sockets.CLOEXEC));
            refused(() -> Sockets.accept4(listener, addr, arena.allocate(2), Sockets.CLOEXEC));
            addrlen.set(JAVA_INT, 0, SockAddr.STORAGE_SIZE);
            int accepted = Sockets.accept4(listener, addr, addrlen, Sockets.CLOEXEC);
            assertTrue(accepted >= 0, "the connection was still queued");
            Unistd.close(accepted);
        } finally {
            Unistd.closeQuietly(client);
            Unistd.closeQuietly(listener);
        }
    }

    @Test
    void poll() throws Exception {
        hello();
        MemorySegment fds = pollfd.allocateArray(1, arena);
        pollfd.fd(fds, pair[0]);
        pollfd.events(fds, (short) POLLIN());
        pollfd.revents(fds, (short) 0x7777);   // the kernel would overwrite it
        refused(() -> Poll.poll(fds, 2, 0));
        refused(() -> Poll.poll(fds, -1, 0));
        refused(() -> Poll.poll(fds, Long.MAX_VALUE, 0));
        assertEquals((short) 0x7777, pollfd.revents(fds), "poll was not called");
        assertEquals(1, Poll.poll(fds, 1, 0));
        assertEquals(POLLIN(), pollfd.revents(fds) & POLLIN());
    }

    @Test
    void select() throws Exception {
        MemorySegment set = FdSet.allocate(arena);
        FdSet.set(set, pair[0]);   // not readable: select would clear it
        refused(() -> Select.select(FdSet.FD_SETSIZE + 1, set, null, null, Select.timeval(arena.allocate(64), 0)));
        refused(() -> Select.select(-1, set, null, null, null));
        MemorySegment small = arena.allocate(8, 8);
        refused(() -> Select.select(pair[0] + 1, null, small, null, null));
        refused(() -> Select.select(pair[0] + 1, set, null, null, arena.allocate(4)));
        assertTrue(FdSet.isSet(set, pair[0]), "select was not called");
        MemorySegment tv = Select.timeval(io.pollkit.bindings.timeval.allocate(arena), 0);
        assertEquals(0, Select.select(pair[0] + 1, set, null, null, tv));
        assertTrue(!FdSet.isSet(set, pair[0]), "select clears a set fd that is not ready");
    }

    @Test
    void epoll(TestInfo test) throws Exception {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.EPOLL);
        int ep = Epoll.epoll_create1(EPOLL_CLOEXEC());
        try {
            MemorySegment tooSmall = arena.allocate(epoll_event.sizeof() - 1, 1);
            refused(() -> Epoll.epoll_ctl(ep, EPOLL_CTL_ADD(), pair[0], tooSmall));
            ErrnoException notAdded = assertThrows(ErrnoException.class, () -> Epoll.epoll_ctl(ep, EPOLL_CTL_DEL(), pair[0], null));
            assertEquals(ENOENT(), notAdded.errno(), "the refused epoll_ctl did not register the fd");
            // Edge-triggered: a wait that reported the readiness would consume it.
            Epoll.epoll_ctl(ep, EPOLL_CTL_ADD(), pair[0], EPOLLIN() | EPOLLET(), 42);
            hello();
            MemorySegment events = epoll_event.allocateArray(1, arena);
            refused(() -> Epoll.epoll_wait(ep, events, 2, 0));
            refused(() -> Epoll.epoll_wait(ep, events, -1, 0));
            refused(() -> Epoll.epoll_wait(ep, null, 1, 0));
            assertEquals(1, Epoll.epoll_wait(ep, events, 1, 0), "the readiness is still reported");
            assertEquals(42, Epoll.data(events, 0));
            assertEquals(0, Epoll.epoll_wait(ep, events, 1, 0), "and only once: edge-triggered");
        } finally {
            Unistd.closeQuietly(ep);
        }
    }

    @Test
    void kevent(TestInfo test) throws Exception {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.KQUEUE);
        int kq = Kqueue.kqueue();
        try {
            hello();
            MemorySegment change = kevent.allocateArray(1, arena);
            Kqueue.EV_SET(change, 0, pair[0], sys_event_h.EVFILT_READ(), sys_event_h.EV_ADD(), 0, 0, 7);
            MemorySegment events = kevent.allocateArray(1, arena);
            MemorySegment zero = Select.timespec(io.pollkit.bindings.timespec.allocate(arena), 0);
            refused(() -> Kqueue.kevent(kq, change, 2, events, 1, zero));
            refused(() -> Kqueue.kevent(kq, change, -1, events, 1, zero));
            refused(() -> Kqueue.kevent(kq, change, 1, events, 2, zero));
            refused(() -> Kqueue.kevent(kq, change, 1, null, 1, zero));
            refused(() -> Kqueue.kevent(kq, change, 1, events, 1, arena.allocate(4)));
            assertEquals(0, Kqueue.kevent(kq, null, 0, events, 1, zero), "the refused changes were not applied");
            assertEquals(1, Kqueue.kevent(kq, change, 1, events, 1, zero));
            assertEquals(7, kevent.udata(events).address());
        } finally {
            Unistd.closeQuietly(kq);
        }
    }
}
