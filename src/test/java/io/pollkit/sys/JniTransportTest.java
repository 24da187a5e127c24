package io.pollkit.sys;

import io.pollkit.bindings.epoll_event;
import io.pollkit.bindings.kevent;
import io.pollkit.bindings.pollfd;
import io.pollkit.bindings.timespec;
import io.pollkit.bindings.timeval;
import io.pollkit.poller.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_DEL;
import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JNI twin itself; runs only in the {@code conformance-over-jni} execution (-Dpollkit.transport=jni):
 * the transport is JNI, and each hot call makes a round trip over a socketpair through libpollkit-jni.
 */
class JniTransportTest {
    private Arena arena;
    private int[] pair;

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

    @Test
    void transportIsJni() {
        assertEquals(Transport.JNI, Transport.CURRENT, "-D" + Transport.PROPERTY + "=" + System.getProperty(Transport.PROPERTY));
        assertTrue(Transport.JNI_SELECTED);
    }

    @Test
    void failuresComeBackAsMinusErrno() {
        assertEquals(-EBADF(), Jni.read(-1, 0, 0));
        assertEquals(-EBADF(), Jni.write(-1, 0, 0));
        assertEquals(ProcessHandle.current().pid(), Jni.getpid());
        assertEquals(ProcessHandle.current().pid(), Unistd.getpid());
    }

    private void ping() throws ErrnoException {
        MemorySegment out = arena.allocateFrom("ping");
        assertEquals(4, Unistd.write(pair[1], out, 4));
    }

    private void expectPing() throws ErrnoException {
        MemorySegment in = arena.allocate(16);
        assertEquals(4, Unistd.read(pair[0], in, 16));
        assertArrayEquals("ping".getBytes(), in.asSlice(0, 4).toArray(JAVA_BYTE));
        assertEquals(Results.WOULD_BLOCK, Unistd.read(pair[0], in, 16), "drained");
    }

    @Test
    void readWriteAndPoll() throws Exception {
        MemorySegment fds = pollfd.allocate(arena);
        pollfd.fd(fds, pair[0]);
        pollfd.events(fds, (short) POLLIN());
        assertEquals(0, Poll.poll(fds, 1, 0), "nothing written yet");
        ping();
        assertEquals(1, Poll.poll(fds, 1, 5_000));
        assertEquals(POLLIN(), pollfd.revents(fds) & POLLIN());
        expectPing();
    }

    @Test
    void select() throws Exception {
        MemorySegment read = FdSet.allocate(arena), tv = timeval.allocate(arena);
        FdSet.set(read, pair[0]);
        assertEquals(0, Select.select(pair[0] + 1, read, null, null, Select.timeval(tv, 0)));
        ping();
        FdSet.set(read, pair[0]);
        assertEquals(1, Select.select(pair[0] + 1, read, null, null, Select.timeval(tv, 5_000)));
        assertTrue(FdSet.isSet(read, pair[0]));
        expectPing();
    }

    @Test
    void epoll(TestInfo test) throws Exception {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.EPOLL);
        int ep = Epoll.epoll_create1(EPOLL_CLOEXEC());
        try {
            long token = 0xC0FFEE_0000_0001L;
            Epoll.epoll_ctl(ep, EPOLL_CTL_ADD(), pair[0], EPOLLIN(), token);
            MemorySegment events = epoll_event.allocateArray(4, arena);
            assertEquals(0, Epoll.epoll_wait(ep, events, 4, 0));
            ping();
            assertEquals(1, Epoll.epoll_wait(ep, events, 4, 5_000));
            assertEquals(token, Epoll.data(events, 0));
            assertEquals(EPOLLIN(), events.get(epoll_event.events$layout(), epoll_event.events$offset()) & EPOLLIN());
            expectPing();
            Epoll.epoll_ctl(ep, EPOLL_CTL_DEL(), pair[0], null);
        } finally {
            Unistd.close(ep);
        }
    }

    @Test
    void kevent(TestInfo test) throws Exception {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.KQUEUE);
        int kq = Kqueue.kqueue();
        try {
            MemorySegment change = kevent.allocate(arena), events = kevent.allocateArray(4, arena);
            MemorySegment zero = Select.timespec(timespec.allocate(arena), 0);
            Kqueue.EV_SET(change, 0, pair[0], EVFILT_READ(), EV_ADD(), 0, 0, 42);
            assertEquals(0, Kqueue.kevent(kq, change, 1, events, 4, zero), "registered; nothing to read yet");
            ping();
            assertEquals(1, Kqueue.kevent(kq, null, 0, events, 4, Select.timespec(timespec.allocate(arena), 5_000)));
            assertEquals(pair[0], events.get(kevent.ident$layout(), kevent.ident$offset()));
            assertEquals(42, events.get(kevent.udata$layout(), kevent.udata$offset()).address());
            expectPing();
        } finally {
            Unistd.close(kq);
        }
    }
}
