package io.pollkit.poller;

import io.pollkit.bindings.Platform;
import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import io.pollkit.sys.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.Map;

import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.poller.Poller.ERROR;
import static io.pollkit.poller.Poller.HANGUP;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.Poller.WRITABLE;
import static io.pollkit.poller.Poller.WRITE;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.open;
import static io.pollkit.poller.PollerTesting.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What kqueue does differently (the quirks the {@link Poller} contract names): an fd is two filters, so
 * its token can come back twice in one poll; EV_EOF arrives only through an enabled filter, so interest 0
 * hears no hang-up; a socket error arrives in the event itself (fflags). On Linux these run through the
 * kqueue test double (native/kqueue-double), whose own known differences are noted where they show.
 */
class KqueueQuirksTest {
    private static final Backend KQUEUE = Backend.KQUEUE;

    @Test
    void readAndWriteComeBackAsTwoEventsWithOneToken(TestInfo test) throws Exception {
        try (Poller p = open(test, KQUEUE); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | WRITE, 7);
            write(pair[1]);
            int n = p.poll(events, 5_000);
            assertEquals(2, n, "one event per filter");
            assertEquals(7, events.token(0));
            assertEquals(7, events.token(1));
            assertEquals(READABLE | WRITABLE, events.ready(0) | events.ready(1));
            assertEquals(0, events.ready(0) & events.ready(1), "each event carries its own filter's bit");
        }
    }

    @Test
    void interestZeroHearsNoHangUp(TestInfo test) throws Exception {
        try (Poller p = open(test, KQUEUE); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], 0, 1);
            fds.close(pair[1]);
            expectNoEvents(p, events, 100);   // poll and epoll report HANGUP here (hangUpReportedWithoutInterest)
            p.modify(pair[0], READ, 2);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(2, READABLE | HANGUP));
            assertEquals(0, seen.get(2L) & ERROR, "a clean close has no error in fflags");
        }
    }

    /**
     * A reset arrives as EV_EOF with the error in fflags: HANGUP and ERROR. Real kqueue leaves the error on
     * the socket (the read fails with ECONNRESET); the Linux double reads SO_ERROR to fill fflags, which
     * consumes it, so there the read returns 0 (native/kqueue-double/README.md, difference 1).
     */
    @Test
    void resetArrivesAsEofWithTheError(TestInfo test) throws Exception {
        try (Poller p = open(test, KQUEUE); Fds fds = new Fds()) {
            int[] tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(tcp[0], READ, 1);
            fds.reset(tcp[1]);
            expectEvents(p, events, Expect.all(1, READABLE | HANGUP | ERROR));
            if (Platform.NAME.startsWith("linux")) {
                assertEquals(0, read(tcp[0]), "the double consumed SO_ERROR: end of stream");
            } else {
                ErrnoException e = assertThrows(ErrnoException.class, () -> read(tcp[0]));
                assertEquals(ECONNRESET(), e.errno(), e.getMessage());
            }
        }
    }

    /** kqueue leaves the socket error in place, so a level-triggered filter reports it on every poll. */
    @Test
    void theErrorComesWithEveryLaterEvent(TestInfo test) throws Exception {
        try (Poller p = open(test, KQUEUE); Fds fds = new Fds()) {
            int[] tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(tcp[0], READ, 1);
            fds.reset(tcp[1]);
            for (int i = 0; i < 3; i++) expectEvents(p, events, Expect.all(1, READABLE | HANGUP | ERROR));
        }
    }

    @Test
    void oneShotThatFiredCanStillBeUnregistered(TestInfo test) throws Exception {
        try (Poller p = open(test, KQUEUE); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | Poller.ONESHOT, 1);
            write(pair[1]);
            expectEvents(p, events, Expect.all(1, READABLE));   // EV_ONESHOT: the kernel deleted the knote
            p.unregister(pair[0]);   // its ENOENT is no error
            ErrnoException e = assertThrows(ErrnoException.class, () -> p.unregister(pair[0]));
            assertTrue(e.getMessage().contains("kqueue unregister"), e.getMessage());
        }
    }

    private static void write(int fd) throws ErrnoException {
        PollerTesting.write(fd, "x");
    }
}
