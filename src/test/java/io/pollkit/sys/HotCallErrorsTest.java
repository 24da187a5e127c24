package io.pollkit.sys;

import io.pollkit.bindings.epoll_event;
import io.pollkit.bindings.kevent;
import io.pollkit.poller.Backend;
import io.pollkit.bindings.pollfd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How each hot call fails, to the letter: the ErrnoException message, the sentinels, the segments refused.
 * This class runs in both surefire executions (FFM, then {@code conformance-over-jni}) with the same
 * expectations, so the messages over JNI are the messages over FFM.
 */
class HotCallErrorsTest {
    private Arena arena;
    private MemorySegment buf;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();   // shared: the timeout runs each lifecycle method and the test on threads of its own
        buf = arena.allocate(8);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private static void assertFails(int errno, String message, Executable call) {
        ErrnoException e = assertThrows(ErrnoException.class, call::run, Transport.CURRENT + ": " + message);
        assertEquals(message, e.getMessage(), "over " + Transport.CURRENT);
        assertEquals(errno, e.errno());
    }

    interface Executable {
        void run() throws Exception;
    }

    @Test
    void readAndWrite() {
        assertFails(EBADF(), "read(fd=-1, len=8): EBADF (Bad file descriptor)", () -> Unistd.read(-1, buf, 8));
        assertFails(EBADF(), "write(fd=-1, len=8): EBADF (Bad file descriptor)", () -> Unistd.write(-1, buf, 8));
    }

    @Test
    void wouldBlockIsAValue() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try {
            assertEquals(Results.WOULD_BLOCK, Unistd.read(pair[0], buf, 8), "nothing to read");
            MemorySegment big = arena.allocate(1 << 16);
            long n, total = 0;
            while ((n = Unistd.write(pair[1], big, big.byteSize())) > 0) total += n;
            assertEquals(Results.WOULD_BLOCK, n, "the socket buffer is full after " + total + " bytes");
        } finally {
            Unistd.closeQuietly(pair[0]);
            Unistd.closeQuietly(pair[1]);
        }
    }

    @Test
    void pollAndSelect() throws Exception {
        IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class, () -> Poll.poll(MemorySegment.NULL, 1, 0));
        assertEquals("poll: nfds=1 is outside the segment (0 bytes: room for 0 of " + pollfd.sizeof() + " bytes each)",
                past.getMessage());
        IndexOutOfBoundsException negative = assertThrows(IndexOutOfBoundsException.class,
                () -> Select.select(-1, null, null, null, null));
        assertEquals("select: nfds=-1 is outside [0, FD_SETSIZE=" + FdSet.FD_SETSIZE + "]", negative.getMessage());
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        Unistd.close(pair[1]);
        try {
            MemorySegment set = FdSet.allocate(arena);
            FdSet.set(set, pair[1]);   // closed: select refuses the set
            assertFails(EBADF(), "select(nfds=" + (pair[1] + 1) + "): EBADF (Bad file descriptor)",
                    () -> Select.select(pair[1] + 1, set, null, null, null));
        } finally {
            Unistd.closeQuietly(pair[0]);
        }
    }

    @Test
    void epoll(TestInfo test) {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.EPOLL);
        MemorySegment events = epoll_event.allocate(arena);
        assertFails(EBADF(), "epoll_wait(epfd=-1, maxevents=1): EBADF (Bad file descriptor)", () -> Epoll.epoll_wait(-1, events, 1, 0));
        assertFails(EBADF(), "epoll_ctl(epfd=-1, EPOLL_CTL_ADD, fd=0): EBADF (Bad file descriptor)",
                () -> Epoll.epoll_ctl(-1, EPOLL_CTL_ADD(), 0, events));
    }

    @Test
    void kevent(TestInfo test) {
        Skip.unlessAvailable(test, io.pollkit.poller.Backend.KQUEUE);
        MemorySegment events = kevent.allocate(arena);
        assertFails(EBADF(), "kevent(kq=-1, nchanges=0, nevents=1): EBADF (Bad file descriptor)",
                () -> Kqueue.kevent(-1, null, 0, events, 1, null));
    }

    @Test
    void segmentsADowncallRefusesAreRefused() {
        IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> Unistd.read(-1, MemorySegment.ofArray(new byte[8]), 8));
        assertTrue(heap.getMessage().startsWith("Heap segment not allowed"), heap.getMessage());
        MemorySegment closed;
        try (Arena a = Arena.ofConfined()) {
            closed = a.allocate(8);
        }
        IllegalStateException gone = assertThrows(IllegalStateException.class, () -> Unistd.read(-1, closed, 8));
        assertEquals("Already closed", gone.getMessage());
    }
}
