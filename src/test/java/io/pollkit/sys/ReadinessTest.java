package io.pollkit.sys;

import io.pollkit.bindings.epoll_event;
import io.pollkit.bindings.kevent;
import io.pollkit.bindings.pollfd;
import io.pollkit.bindings.timeval;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * Each raw readiness API reports a socket ready after a write and times out when nothing is ready.
 * No upper bound on time is asserted (speed is for the benchmarks); the lower bound shows it waited.
 */
class ReadinessTest {
    private static final int TIMEOUT_MS = 100;
    private Arena arena;
    private int[] pair;

    @BeforeEach
    void open() throws Exception {
        arena = Arena.ofShared();   // shared: the timeout runs each lifecycle method and the test on threads of its own
        pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
    }

    @AfterEach
    void close() {
        Unistd.closeQuietly(pair[0]);
        Unistd.closeQuietly(pair[1]);
        arena.close();
    }

    private static void assertWaited(long startNanos) {
        long waited = (System.nanoTime() - startNanos) / 1_000_000;
        assertTrue(waited >= TIMEOUT_MS - 5, "returned after " + waited + " ms, before the " + TIMEOUT_MS + " ms timeout");
    }

    @Test
    void select() throws Exception {
        MemorySegment read = FdSet.allocate(arena), tv = timeval.allocate(arena);
        FdSet.set(read, pair[0]);
        long t0 = System.nanoTime();
        assertEquals(0, Select.select(pair[0] + 1, read, null, null, Select.timeval(tv, TIMEOUT_MS)));
        assertWaited(t0);
        assertFalse(FdSet.isSet(read, pair[0]), "select clears the fds that are not ready");

        Loopback.writeFully(pair[1], "x");
        FdSet.set(read, pair[0]);
        assertEquals(1, Select.select(pair[0] + 1, read, null, null, Select.timeval(tv, 5000)));
        assertTrue(FdSet.isSet(read, pair[0]));
    }

    @Test
    void pselect() throws Exception {
        MemorySegment read = FdSet.allocate(arena), ts = io.pollkit.bindings.timespec.allocate(arena);
        FdSet.set(read, pair[0]);
        long t0 = System.nanoTime();
        assertEquals(0, Select.pselect(pair[0] + 1, read, null, null, Select.timespec(ts, TIMEOUT_MS), null));
        assertWaited(t0);
        Loopback.writeFully(pair[1], "x");
        FdSet.set(read, pair[0]);
        assertEquals(1, Select.pselect(pair[0] + 1, read, null, null, Select.timespec(ts, 5000), null));
    }

    @Test
    void poll() throws Exception {
        MemorySegment fds = pollfd.allocateArray(1, arena);
        fds.set(pollfd.fd$layout(), pollfd.fd$offset(), pair[0]);
        fds.set(pollfd.events$layout(), pollfd.events$offset(), (short) POLLIN());
        long t0 = System.nanoTime();
        assertEquals(0, Poll.poll(fds, 1, TIMEOUT_MS));
        assertWaited(t0);
        assertEquals(0, fds.get(pollfd.revents$layout(), pollfd.revents$offset()));

        Loopback.writeFully(pair[1], "x");
        assertEquals(1, Poll.poll(fds, 1, 5000));
        assertEquals(POLLIN(), fds.get(pollfd.revents$layout(), pollfd.revents$offset()) & POLLIN());
    }

    @Test
    void epoll() throws Exception {
        int ep = Epoll.epoll_create1(EPOLL_CLOEXEC());
        try {
            Epoll.epoll_ctl(ep, EPOLL_CTL_ADD(), pair[0], EPOLLIN(), 0xC0FFEE_0000_0001L);
            MemorySegment events = epoll_event.allocateArray(4, arena);
            long t0 = System.nanoTime();
            assertEquals(0, Epoll.epoll_wait(ep, events, 4, TIMEOUT_MS));
            assertWaited(t0);

            Loopback.writeFully(pair[1], "x");
            assertEquals(1, Epoll.epoll_wait(ep, events, 4, 5000));
            assertEquals(EPOLLIN(), events.get(epoll_event.events$layout(), epoll_event.events$offset()) & EPOLLIN());
            assertEquals(0xC0FFEE_0000_0001L, events.get((ValueLayout.OfLong) epoll_event.data$layout().select(groupElement("u64")), epoll_event.data$offset()), "the 64-bit data comes back whole");
            ErrnoException e = assertThrows(ErrnoException.class, () -> Epoll.epoll_ctl(ep, EPOLL_CTL_ADD(), pair[0], EPOLLIN(), 0));
            assertEquals("EEXIST", e.errnoName());
            assertTrue(e.getMessage().startsWith("epoll_ctl(epfd=" + ep + ", EPOLL_CTL_ADD, fd=" + pair[0] + "): EEXIST"));
        } finally {
            Unistd.close(ep);
        }
    }

    @Test
    void kqueue(TestInfo test) throws Exception {
        if (!Kqueue.isAvailable()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, Kqueue::kqueue);
            assertEquals(Kqueue.unavailableReason(), e.getMessage());
            Skip.unlessAvailable(test, io.pollkit.poller.Backend.KQUEUE);
        }
        int kq = Kqueue.kqueue();
        try {
            MemorySegment change = kevent.allocateArray(1, arena), events = kevent.allocateArray(4, arena);
            MemorySegment ts = io.pollkit.bindings.timespec.allocate(arena);
            Kqueue.EV_SET(change, 0, pair[0], EVFILT_READ(), EV_ADD(), 0, 0, 77);
            long t0 = System.nanoTime();
            assertEquals(0, Kqueue.kevent(kq, change, 1, events, 4, Select.timespec(ts, TIMEOUT_MS)));
            assertWaited(t0);

            Loopback.writeFully(pair[1], "xyz");
            assertEquals(1, Kqueue.kevent(kq, null, 0, events, 4, Select.timespec(ts, 5000)));
            assertEquals(pair[0], events.get(kevent.ident$layout(), kevent.ident$offset()));
            assertEquals(EVFILT_READ(), events.get(kevent.filter$layout(), kevent.filter$offset()));
            assertEquals(3, events.get(kevent.data$layout(), kevent.data$offset()), "data: the bytes ready to read");
            assertEquals(77, events.get(kevent.udata$layout(), kevent.udata$offset()).address());
        } finally {
            Unistd.close(kq);
        }
    }
}
