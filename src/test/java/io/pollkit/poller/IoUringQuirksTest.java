package io.pollkit.poller;

import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static io.pollkit.bindings.sys_socket_h.SHUT_WR;
import static io.pollkit.poller.Poller.ERROR;
import static io.pollkit.poller.Poller.HANGUP;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.PollerTesting.assertEarly;
import static io.pollkit.poller.PollerTesting.assertWaited;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.read;
import static io.pollkit.poller.PollerTesting.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the io_uring backend does where the contract leaves room or the kernel differs from epoll, pinned down:
 * an armed poll holds the fd's file (a close before unregistering does not close it), a closed fd is an ERROR on
 * every poll until unregistered (as poll's POLLNVAL), a half-close without READ interest is not reported and does
 * not spin, and timed waits work through the IORING_OP_TIMEOUT fallback of kernels without EXT_ARG.
 */
@Timeout(60)
class IoUringQuirksTest {
    private static Poller open(TestInfo test, boolean extArg) throws Exception {
        Skip.unlessAvailable(test, Backend.IO_URING);
        return new IoUringPoller(extArg);
    }

    @Test
    void anFdClosedWhileRegisteredIsAnErrorOnEveryPollUntilUnregistered(TestInfo test) throws Exception {
        try (Poller p = open(test, true); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            expectNoEvents(p, events, 0);   // the ring is open: the number closed below stays free
            p.register(pair[0], READ, 1);
            fds.close(pair[0]);   // before the poll that would have armed it: POLL_ADD of a closed fd, EBADF
            for (int i = 0; i < 3; i++) {
                Map<Long, Integer> seen = expectEvents(p, events, Expect.all(1, ERROR));
                assertEquals(ERROR, (int) seen.get(1L), Events.describe(seen.get(1L)));
            }
            p.unregister(pair[0]);   // the poller's own table: the number unregisters fine
            expectNoEvents(p, events, 50);
        }
    }

    /** An armed IORING_OP_POLL_ADD holds a reference to the file: close(2) alone does not close the socket. */
    @Test
    void anArmedPollKeepsAClosedFdsFileOpenUntilUnregistered(TestInfo test) throws Exception {
        try (Poller p = open(test, true); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            expectNoEvents(p, events, 0);   // armed now
            fds.close(pair[0]);
            assertEquals(Results.WOULD_BLOCK, read(pair[1]), "the peer sees no end of stream: the ring holds the file");
            p.unregister(pair[0]);   // submits the POLL_REMOVE: the last reference goes
            assertEquals(0, read(pair[1]), "end of stream once the poll was removed");
        }
    }

    /**
     * Unregistering on the poller's thread removes the armed poll at once, so a close(2) right after closes the
     * socket (and frees its port, as a server's listener at shutdown needs) as on the other backends, without
     * waiting for another poll.
     */
    @Test
    void unregisterReleasesTheFileAtOnce(TestInfo test) throws Exception {
        try (Poller p = open(test, true); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            expectNoEvents(p, events, 0);   // armed now
            p.unregister(pair[0]);
            fds.close(pair[0]);
            assertEquals(0, read(pair[1]), "end of stream right after unregister and close");
        }
    }

    /**
     * The kernel adds POLLRDHUP to every poll; without READ the contract reports only a full hang-up. The one-shot
     * poll that fired for the half-close alone is parked on a multishot one, so polls wait instead of spinning.
     */
    @Test
    void aHalfCloseWithoutReadInterestIsNotReportedNorSpun(TestInfo test) throws Exception {
        try (Poller p = open(test, true); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], 0, 1);
            Sockets.shutdown(pair[1], SHUT_WR());
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                expectNoEvents(p, events, 100);
                assertWaited(t0, 100);
            }
            fds.close(pair[1]);   // now both directions: a hang-up, reported again while it lasts
            expectEvents(p, events, Expect.all(1, HANGUP));
            expectEvents(p, events, Expect.all(1, HANGUP));
            p.modify(pair[0], READ, 2);
            expectEvents(p, events, Expect.all(2, READABLE | HANGUP));
        }
    }

    /** Kernels before 5.11 have no EXT_ARG: the wait's timeout is an IORING_OP_TIMEOUT SQE; run here by choice. */
    @Test
    void timedWaitsThroughTheTimeoutSqe(TestInfo test) throws Exception {
        try (Poller p = open(test, false); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            for (long timeout : new long[] {20, 150}) {
                long t0 = System.nanoTime();
                assertEquals(0, p.poll(events, timeout));
                assertWaited(t0, timeout);
                assertEarly(t0, 5_000, "poll with a " + timeout + " ms timeout");
            }
            write(pair[1], "x");
            long t0 = System.nanoTime();
            expectEvents(p, events, Expect.all(1, READABLE));
            expectEvents(p, events, Expect.all(1, READABLE));   // level-triggered
            assertEarly(t0, 5_000, "readable, with timed waits");
            assertEquals(1, read(pair[0]));
            expectNoEvents(p, events, 50);
            p.wakeup();
            t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 10_000));
            assertEarly(t0, 5_000, "a wakeup ends a 10 s timed wait");
        }
    }
}
