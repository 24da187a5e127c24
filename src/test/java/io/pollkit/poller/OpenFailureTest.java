package io.pollkit.poller;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.pollkit.bindings.errno_h.EMFILE;
import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.poller.PollerTesting.ensureNofile;
import static io.pollkit.poller.PollerTesting.open;
import static io.pollkit.poller.PollerTesting.openFds;
import static io.pollkit.poller.PollerTesting.withFdsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A backend that fails half-way through opening closes the fds it had opened (counted in /proc/self/fd). The
 * failures are real: RLIMIT_NOFILE lowered so that the k-th fd the backend opens is refused (EMFILE), for every
 * k until it opens; and select's waker past FD_SETSIZE. Their arenas too: thousands of failed opens leave the
 * JVM's native memory (NMT) where it was.
 */
@Timeout(60)
class OpenFailureTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aBackendThatCannotOpenAllItsFdsClosesThoseItHad(Backend backend, TestInfo test) throws Exception {
        open(test, backend).close();   // classes loaded and linked: the counts below are only the backend's
        long before = openFds();
        int failures = 0;
        for (int k = 0; ; k++) {
            if (k > 16) fail(backend.id() + " still fails with " + k + " fds free");
            Poller p;
            try {
                p = withFdsLeft(k, backend::open);
            } catch (ErrnoException e) {
                assertEquals(EMFILE(), e.errno(), "with " + k + " fds free: " + e.getMessage());
                assertEquals(before, openFds(), backend.id() + ": open fds after it failed with " + k + " fds free");
                failures++;
                continue;
            }
            p.close();
            break;
        }
        assertTrue(failures >= 1, "never failed");
        assertEquals(before, openFds(), "open fds at the end");
    }

    /** Thousands of opens failing at each fd the backend opens: the native memory their arenas took is freed. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aBackendThatFailsToOpenFreesItsMemory(Backend backend, TestInfo test) throws Exception {
        open(test, backend).close();
        int tries = 3000;
        for (int k = 0; ; k++) {
            long before = NativeMemory.otherKiB();
            int failed = withFdsLeft(k, () -> {
                int n = 0;
                for (int i = 0; i < tries; i++) {
                    try {
                        backend.open().close();
                        return n;
                    } catch (ErrnoException e) {
                        n++;
                    }
                }
                return n;
            });
            if (failed == 0) break;   // opens with k fds free
            long grown = NativeMemory.otherKiB() - before;
            // An arena left open is 160 to 550 bytes a try: 800 KiB to 2.7 MiB. The bound leaves room for the JVM's own.
            assertTrue(grown < 256, backend.id() + ": native memory grew by " + grown + " KiB over " + failed
                    + " opens failing with " + k + " fds free");
            if (k > 16) fail(backend.id() + " still fails with " + k + " fds free");
        }
    }

    /** Polling with Events of alternating sizes reuses the backend's array (epoll, kqueue) instead of adding one each time. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void alternatingEventsSizesDoNotPileUpMemory(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            Events small = new Events(1000), large = new Events(1001);
            p.poll(large, 0);
            long before = NativeMemory.otherKiB();
            for (int i = 0; i < 300; i++) {
                p.poll(small, 0);
                p.poll(large, 0);
            }
            long grown = NativeMemory.otherKiB() - before;
            // A new array per size change would be 600 of 12 to 32 KB: 7 to 19 MB.
            assertTrue(grown < 256, backend.id() + ": native memory grew by " + grown + " KiB over 600 polls");
        }
    }

    /** The select backend's waker past FD_SETSIZE (every lower fd taken): refused, and the waker closed. */
    @Test
    void aSelectWhoseWakerCannotBeWatchedClosesIt(TestInfo test) throws Exception {
        String reason = ensureNofile(FdSet.FD_SETSIZE + 64);
        if (reason != null) io.pollkit.testing.Skip.because(test, Backend.SELECT, reason);
        open(test, Backend.SELECT).close();
        long before = openFds();
        List<Integer> fillers = new ArrayList<>();
        try {
            int base = Fcntl.fcntl(0, F_DUPFD_CLOEXEC(), 0);
            fillers.add(base);
            while (fillers.getLast() < FdSet.FD_SETSIZE - 1) fillers.add(Fcntl.fcntl(base, F_DUPFD_CLOEXEC(), 0));
            long filled = openFds();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Backend.SELECT::open);
            assertTrue(e.getMessage().startsWith("select cannot watch fd " + FdSet.FD_SETSIZE), e.getMessage());
            assertEquals(filled, openFds(), "open fds after the refused select poller");
        } finally {
            for (int fd : fillers) Unistd.closeQuietly(fd);
        }
        assertEquals(before, openFds());
    }
}
