package io.pollkit.poller;

import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;
import java.util.Set;

import static io.pollkit.poller.Poller.EDGE;
import static io.pollkit.poller.Poller.ONESHOT;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.Poller.WRITABLE;
import static io.pollkit.poller.Poller.WRITE;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.open;
import static io.pollkit.poller.PollerTesting.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Poller#modify} changes the mode of a live registration: level, edge and one-shot into one
 * another, with the interest. On kqueue a second EV_ADD keeps a knote's EV_CLEAR/EV_ONESHOT (FreeBSD, XNU,
 * and the Linux double, which follows them), so these fail unless the poller deletes and adds anew.
 */
class ModeChangeTest {
    private static final long A = 1, B = 2;

    private static Poller openModal(Backend backend, TestInfo test) throws Exception {
        Poller p = open(test, backend);
        if (!p.supports(EDGE) || !p.supports(ONESHOT)) {
            p.close();
            io.pollkit.testing.Skip.because(test, backend, backend.id() + " has no edge-triggered or one-shot mode");
        }
        return p;
    }

    /** Reported now, and again on the next poll: level-triggered. */
    private static void expectLevel(Poller p, Events events, long token, int bits) throws Exception {
        expectEvents(p, events, Expect.all(token, bits));
        expectEvents(p, events, Expect.all(token, bits));
    }

    /** Reported once, then not until something new happens. */
    private static void expectOnce(Poller p, Events events, long token, int bits) throws Exception {
        Map<Long, Integer> seen = expectEvents(p, events, Expect.all(token, bits));
        assertEquals(Set.of(token), seen.keySet());
        expectNoEvents(p, events, 50);
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EPOLL", "KQUEUE", "IO_URING"})
    void levelToEdgeAndBack(Backend backend, TestInfo test) throws Exception {
        try (Poller p = openModal(backend, test); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            write(pair[1], "x");
            expectLevel(p, events, A, READABLE);
            p.modify(pair[0], READ | EDGE, B);
            expectOnce(p, events, B, READABLE);   // the modify may report the data once; then only news
            write(pair[1], "y");
            expectOnce(p, events, B, READABLE);
            p.modify(pair[0], READ, A);
            expectLevel(p, events, A, READABLE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EPOLL", "KQUEUE", "IO_URING"})
    void levelToOneShotAndBack(Backend backend, TestInfo test) throws Exception {
        try (Poller p = openModal(backend, test); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            write(pair[1], "x");
            expectLevel(p, events, A, READABLE);
            p.modify(pair[0], READ | ONESHOT, B);
            expectOnce(p, events, B, READABLE);
            write(pair[1], "y");   // disarmed: even news is not reported
            expectNoEvents(p, events, 50);
            p.modify(pair[0], READ, A);   // from a fired one-shot (its kqueue knote is gone) to level
            expectLevel(p, events, A, READABLE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EPOLL", "KQUEUE", "IO_URING"})
    void edgeToOneShotToEdge(Backend backend, TestInfo test) throws Exception {
        try (Poller p = openModal(backend, test); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | EDGE, A);
            write(pair[1], "x");
            expectOnce(p, events, A, READABLE);
            p.modify(pair[0], READ | ONESHOT, B);
            expectOnce(p, events, B, READABLE);
            write(pair[1], "y");
            expectNoEvents(p, events, 50);
            p.modify(pair[0], READ | EDGE, A);
            expectOnce(p, events, A, READABLE);
            write(pair[1], "z");
            expectOnce(p, events, A, READABLE);   // edge again: each news once, not disarmed
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EPOLL", "KQUEUE", "IO_URING"})
    void interestAndModeTogether(Backend backend, TestInfo test) throws Exception {
        try (Poller p = openModal(backend, test); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            write(pair[1], "x");
            p.register(pair[0], READ | EDGE, A);
            expectOnce(p, events, A, READABLE);
            p.modify(pair[0], WRITE, B);   // level WRITE, no READ: writable on every poll, never readable
            for (int i = 0; i < 2; i++) {
                Map<Long, Integer> seen = expectEvents(p, events, Expect.all(B, WRITABLE));
                assertEquals(WRITABLE, seen.get(B), "READ is no longer in the interest");
            }
            p.modify(pair[0], WRITE | ONESHOT, A);
            expectOnce(p, events, A, WRITABLE);
            p.modify(pair[0], READ | WRITE, B);
            expectLevel(p, events, B, READABLE | WRITABLE);
        }
    }
}
