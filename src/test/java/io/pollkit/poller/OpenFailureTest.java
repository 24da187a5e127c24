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
import static io.pollkit.poller.PollerTesting.skip;
import static io.pollkit.poller.PollerTesting.withFdsLeft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A backend that fails half-way through opening closes the fds it had opened (counted in /proc/self/fd). The
 * failures are real: RLIMIT_NOFILE lowered so that the k-th fd the backend opens is refused (EMFILE), for every
 * k until it opens; and select's waker past FD_SETSIZE. (The backends close their arena on the same paths; no
 * counter of the JDK sees FFM arenas, so that part is not measured here.)
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
                assertEquals(EMFILE, e.errno(), "with " + k + " fds free: " + e.getMessage());
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

    /** The select backend's waker past FD_SETSIZE (every lower fd taken): refused, and the waker closed. */
    @Test
    void aSelectWhoseWakerCannotBeWatchedClosesIt(TestInfo test) throws Exception {
        String reason = ensureNofile(FdSet.FD_SETSIZE + 64);
        if (reason != null) skip(test, Backend.SELECT, reason);
        open(test, Backend.SELECT).close();
        long before = openFds();
        List<Integer> fillers = new ArrayList<>();
        try {
            int base = Fcntl.fcntl(0, F_DUPFD_CLOEXEC, 0);
            fillers.add(base);
            while (fillers.getLast() < FdSet.FD_SETSIZE - 1) fillers.add(Fcntl.fcntl(base, F_DUPFD_CLOEXEC, 0));
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
