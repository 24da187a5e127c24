package io.pollkit.poller;

import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.FdSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.Map;

import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.Poller.WRITE;
import static io.pollkit.poller.PollerTesting.ensureNofile;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.open;
import static io.pollkit.poller.PollerTesting.read;
import static io.pollkit.poller.PollerTesting.write;
import static io.pollkit.testing.Skip.because;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What select does differently (the quirks the {@link Poller} contract names): no hang-up or error
 * events, so a closed or reset peer shows only as readable, and only to an fd registered with READ; and
 * only fds below FD_SETSIZE.
 */
class SelectQuirksTest {
    private static final Backend SELECT = Backend.SELECT;

    @Test
    void hangUpShowsAsReadableOnly(TestInfo test) throws Exception {
        try (Poller p = open(test, SELECT); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            fds.close(pair[1]);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(1, READABLE));
            assertEquals(READABLE, (int) seen.get(1L), "select has no HANGUP: " + Events.describe(seen.get(1L)));
            assertEquals(0, read(pair[0]), "the read tells the close");
        }
    }

    @Test
    void resetShowsAsReadableAndTheReadFails(TestInfo test) throws Exception {
        try (Poller p = open(test, SELECT); Fds fds = new Fds()) {
            int[] tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(tcp[0], READ, 1);
            fds.reset(tcp[1]);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(1, READABLE));
            assertEquals(READABLE, (int) seen.get(1L), "select has no ERROR: " + Events.describe(seen.get(1L)));
            ErrnoException e = assertThrows(ErrnoException.class, () -> read(tcp[0]), "the read tells the error");
            assertEquals(ECONNRESET(), e.errno(), e.getMessage());
        }
    }

    @Test
    void withoutReadInterestAHangUpIsNotHeard(TestInfo test) throws Exception {
        try (Poller p = open(test, SELECT); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], 0, 1);
            fds.close(pair[1]);
            expectNoEvents(p, events, 100);   // poll and epoll report HANGUP here (hangUpReportedWithoutInterest)
            p.modify(pair[0], READ, 2);
            expectEvents(p, events, Expect.all(2, READABLE));
        }
    }

    /** FD_SETSIZE - 1 is the last fd select can watch; FD_SETSIZE is refused (the conformance suite covers more). */
    @Test
    void lastFdBelowFdSetSizeWorks(TestInfo test) throws Exception {
        try (Poller p = open(test, SELECT); Fds fds = new Fds()) {
            String why = ensureNofile(FdSet.FD_SETSIZE + 64);
            if (why != null) because(test, SELECT, why);
            int[] pair = fds.pair();
            int last = fds.add(Fcntl.fcntl(pair[0], F_DUPFD_CLOEXEC(), FdSet.FD_SETSIZE - 1));
            if (last != FdSet.FD_SETSIZE - 1) because(test, SELECT, "fd " + (FdSet.FD_SETSIZE - 1) + " is taken; F_DUPFD gave " + last);
            int past = fds.add(Fcntl.fcntl(pair[0], F_DUPFD_CLOEXEC(), FdSet.FD_SETSIZE));
            assertThrows(IllegalArgumentException.class, () -> p.register(past, READ, 3));
            p.register(last, READ | WRITE, 4);
            write(pair[1], "x");
            expectEvents(p, new Events(8), Expect.all(4, READABLE | Poller.WRITABLE));
            p.unregister(last);
            expectNoEvents(p, new Events(8), 0);
        }
    }
}
