package io.pollkit.poller;

import io.pollkit.bindings.Platform;
import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Portable;
import io.pollkit.sys.Sockets;
import io.pollkit.testing.Proc;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.errno_h.EEXIST;
import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.SHUT_RDWR;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.poller.Poller.EDGE;
import static io.pollkit.poller.Poller.ERROR;
import static io.pollkit.poller.Poller.HANGUP;
import static io.pollkit.poller.Poller.ONESHOT;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.Poller.WRITABLE;
import static io.pollkit.poller.Poller.WRITE;
import static io.pollkit.poller.PollerTesting.assertEarly;
import static io.pollkit.poller.PollerTesting.assertWaited;
import static io.pollkit.poller.PollerTesting.ensureNofile;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.open;
import static io.pollkit.poller.PollerTesting.openFds;
import static io.pollkit.poller.PollerTesting.read;
import static io.pollkit.poller.PollerTesting.write;
import static io.pollkit.testing.Skip.because;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Poller} contract, one suite run against every backend (mio reruns its whole suite per
 * selector). Real sockets only: AF_UNIX socketpairs and TCP over 127.0.0.1. Timing is asserted only as
 * lower bounds (a timeout was waited out) and generous upper bounds (a wakeup came well before a long
 * timeout). Where a backend cannot do what a test needs, the test says so and skips; the backend's own
 * behaviour there is pinned down in its quirks test (SelectQuirksTest, KqueueQuirksTest).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // a poll that never returns fails, not hangs
class PollerConformanceTest {
    /** How long a helper thread waits for the poll to be inside its wait: generous, never a speed claim. */
    private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(20);
    private static final long A = 0xC0FFEE_0000_0001L, B = 2, C = -3;   // tokens: 64 bits and signs come back whole

    // ---- readiness -----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void readableAfterWrite(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            expectNoEvents(p, events, 0);
            write(pair[1], "hello");
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, READABLE));
            assertEquals(READABLE, seen.get(A) & (READABLE | WRITABLE), "READ interest: readable, never writable");
            assertEquals(5, read(pair[0]));
            expectNoEvents(p, events, 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void writableAtOnce(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], WRITE, B);
            long t0 = System.nanoTime();
            assertEquals(1, p.poll(events, 10_000), "a fresh socket is writable at once");
            assertEarly(t0, 5_000, "writable socket");
            assertEquals(B, events.token(0));
            assertEquals(WRITABLE, events.ready(0), "WRITE interest, nothing to read: writable only");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void readAndWriteAtOnceAfterWrite(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | WRITE, C);
            write(pair[1], "x");
            expectEvents(p, events, Expect.all(C, READABLE | WRITABLE));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void tcpReadableAfterWrite(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(tcp[1], READ, A);
            p.register(tcp[0], WRITE, B);
            expectEvents(p, events, Expect.all(B, WRITABLE));
            write(tcp[0], "over loopback");
            expectEvents(p, events, Expect.all(A, READABLE));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void listenerReadableWithAPendingConnection(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int listener = fds.add(Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0));
            Sockets.bind(listener, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            Sockets.listen(listener, 4);
            Events events = new Events(8);
            p.register(listener, READ, A);
            expectNoEvents(p, events, 0);
            int client = fds.add(Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0));
            assertTrue(Sockets.connect(client, Sockets.getsockname(listener)));
            expectEvents(p, events, Expect.all(A, READABLE));
            int accepted = Sockets.accept4(listener, null, null, Sockets.CLOEXEC);
            assertTrue(accepted >= 0, "readable listener: accept4 gave " + accepted);
            fds.add(accepted);
            expectNoEvents(p, events, 0);
        }
    }

    // ---- timeouts ------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void zeroTimeoutDoesNotBlock(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            long t0 = System.nanoTime();
            for (int i = 0; i < 50; i++) assertEquals(0, p.poll(events, 0), "nothing is ready");
            assertEarly(t0, 5_000, "50 polls with timeout 0");   // 100 ms each would already be 5 s
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void timeoutEndsOnTime(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            for (long timeout : new long[] {20, 150}) {
                long t0 = System.nanoTime();
                assertEquals(0, p.poll(events, timeout));
                assertWaited(t0, timeout);
                assertEarly(t0, 5_000, "poll with a " + timeout + " ms timeout");
            }
        }
    }

    /**
     * Timeouts past an int of milliseconds still mean "long", never "not at all": the poll is seen blocked in its
     * wait, and only a wakeup ends it.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void hugeTimeoutWaitsUntilWoken(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            Events events = new Events(8);
            for (long timeout : new long[] {1L << 32, Long.MAX_VALUE}) {
                WakeInWait waker = new WakeInWait(p);
                assertEquals(0, p.poll(events, timeout));
                waker.assertWokeDuringTheWait("poll with timeout " + timeout);
            }
        }
    }

    /**
     * Another thread that waits until this one is blocked in its poll (/proc shows it in the wait's system call),
     * then calls wakeup(): so a test tells a wakeup during the wait from one before it. If it never sees the
     * wait, it wakes the poller all the same (no hang) and the test fails with why.
     */
    private static final class WakeInWait {
        private final Thread thread;
        private final AtomicReference<Throwable> failed = new AtomicReference<>();

        WakeInWait(Poller p) {
            int poller = io.pollkit.sys.Signals.gettid();
            thread = Thread.ofPlatform().start(() -> {
                try {
                    Proc.awaitBlockedInWait(poller, WAIT);
                } catch (Throwable t) {
                    failed.set(t);
                }
                try {
                    p.wakeup();
                } catch (Throwable t) {
                    if (failed.get() == null) failed.set(t);
                }
            });
        }

        void assertWokeDuringTheWait(String what) throws InterruptedException {
            thread.join();
            if (failed.get() != null) throw new AssertionError(what + ": the wakeup did not come during the wait", failed.get());
        }
    }

    // ---- registration --------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void modifyChangesInterestAndToken(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            expectNoEvents(p, events, 0);

            p.modify(pair[0], WRITE, B);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(B, WRITABLE));
            assertEquals(Set.of(B), seen.keySet(), "the new token replaces the old");

            p.modify(pair[0], READ, C);
            expectNoEvents(p, events, 0);   // writable still, but no longer of interest
            write(pair[1], "x");
            seen = expectEvents(p, events, Expect.all(C, READABLE));
            assertEquals(Set.of(C), seen.keySet());
            assertEquals(0, seen.get(C) & WRITABLE, "WRITE interest was dropped");

            p.modify(pair[0], 0, A);   // hang-up and errors only: data no longer reported
            expectNoEvents(p, events, 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void noEventsAfterUnregister(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | WRITE, A);
            write(pair[1], "x");
            expectEvents(p, events, Expect.all(A, READABLE | WRITABLE));
            p.unregister(pair[0]);
            expectNoEvents(p, events, 50);
            fds.close(pair[1]);   // not even a hang-up
            expectNoEvents(p, events, 50);

            p.register(pair[0], READ, B);   // unregistered means it can come back
            Map<Long, Integer> back = expectEvents(p, events, Expect.all(B, closedPeer(backend)));
            assertEquals(closedPeer(backend), (int) back.get(B), Events.describe(back.get(B)));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void registrationErrorsAreErrno(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            p.register(pair[0], READ, A);
            ErrnoException twice = assertThrows(ErrnoException.class, () -> p.register(pair[0], WRITE, B));
            assertEquals(EEXIST(), twice.errno(), twice.getMessage());
            ErrnoException modify = assertThrows(ErrnoException.class, () -> p.modify(pair[1], READ, B));
            assertEquals(ENOENT(), modify.errno(), modify.getMessage());
            ErrnoException unregister = assertThrows(ErrnoException.class, () -> p.unregister(pair[1]));
            assertEquals(ENOENT(), unregister.errno(), unregister.getMessage());

            // the failed calls changed nothing: pair[0] keeps its token and interest, pair[1] is unknown
            write(pair[1], "x");
            Events events = new Events(8);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, READABLE));
            assertEquals(Set.of(A), seen.keySet());
            p.unregister(pair[0]);
            ErrnoException again = assertThrows(ErrnoException.class, () -> p.unregister(pair[0]));
            assertEquals(ENOENT(), again.errno(), again.getMessage());
        }
    }

    /** {@link Waker#TOKEN} marks the backend's own waker: a caller's fd under it would never be reported. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void reservedTokenIsRefused(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.register(pair[0], READ, Waker.TOKEN));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
            p.register(pair[0], READ, Long.MAX_VALUE);   // the refusal registered nothing
            assertThrows(IllegalArgumentException.class, () -> p.modify(pair[0], READ, Waker.TOKEN));
            write(pair[1], "x");
            Map<Long, Integer> seen = expectEvents(p, new Events(8), Expect.all(Long.MAX_VALUE, READABLE));
            assertEquals(Set.of(Long.MAX_VALUE), seen.keySet(), "the refused modify changed nothing");
        }
    }

    // ---- hang-up and errors --------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void peerCloseGivesReadableThenEndOfStream(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair(), tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            p.register(tcp[0], READ, B);
            fds.close(pair[1]);
            fds.close(tcp[1]);
            int closed = closedPeer(backend);
            // Linux's poll without POLLRDHUP (the forced portable paths) sees a TCP peer's FIN only as readable.
            int tcpClosed = backend == Backend.POLL && !Portable.POLLRDHUP && Platform.NAME.startsWith("linux") ? READABLE : closed;
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, closed), Expect.all(B, tcpClosed));
            assertEquals(closed, (int) seen.get(A), "a closed peer on " + backend.id() + ": " + Events.describe(seen.get(A)));
            assertEquals(tcpClosed, (int) seen.get(B), "a closed TCP peer on " + backend.id() + ": " + Events.describe(seen.get(B)));
            assertEquals(0, read(pair[0]), "end of stream after the peer closed");
            assertEquals(0, read(tcp[0]), "end of stream after the peer closed");
        }
    }

    /** The peer closes both directions: HANGUP (select: READABLE, see SelectQuirksTest), then read gives 0. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void hangUpReported(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair(), tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(pair[0], READ, A);
            p.register(tcp[0], READ, B);
            write(pair[1], "last words");
            fds.close(pair[1]);
            Sockets.shutdown(tcp[1], SHUT_RDWR());
            int hangUp = backend == Backend.SELECT ? READABLE : HANGUP;
            // Linux's poll without POLLRDHUP (the forced portable paths) sees the TCP peer's FIN only as readable;
            // macOS's poll reports it as POLLHUP (its poll is built on kevent's EV_EOF).
            int tcpHangUp = backend == Backend.POLL && !Portable.POLLRDHUP && Platform.NAME.startsWith("linux") ? READABLE : hangUp;
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, hangUp | READABLE), Expect.all(B, tcpHangUp));
            assertEquals(0, seen.get(A) & ERROR, "a clean close is no error: " + Events.describe(seen.get(A)));
            assertEquals(0, seen.get(B) & ERROR, "a clean shutdown is no error: " + Events.describe(seen.get(B)));
            assertEquals(10, read(pair[0]), "the data written before the close is still there");
            assertEquals(0, read(pair[0]));
            assertEquals(0, read(tcp[0]));
        }
    }

    /** Interest 0 is "hang-up and errors only": a closed peer is reported all the same. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void hangUpReportedWithoutInterest(Backend backend, TestInfo test) throws Exception {
        if (backend == Backend.SELECT) because(test, backend, "select reports a hang-up only as READABLE, so only with READ (SelectQuirksTest)");
        if (backend == Backend.KQUEUE) because(test, backend, "kqueue reports EV_EOF only through an enabled filter (KqueueQuirksTest)");
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], 0, A);
            write(pair[1], "x");
            expectNoEvents(p, events, 50);   // data is not of interest
            fds.close(pair[1]);
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, HANGUP));
            assertEquals(0, seen.get(A) & (READABLE | WRITABLE), "interest 0: " + Events.describe(seen.get(A)));
        }
    }

    /** What READ interest hears when the peer has closed: READABLE and HANGUP, select READABLE alone (SelectQuirksTest). */
    private static int closedPeer(Backend backend) {
        return backend == Backend.SELECT ? READABLE : READABLE | HANGUP;
    }

    /**
     * A reset (SO_LINGER {1,0} then close on the peer): select reports READABLE alone, the others READABLE,
     * HANGUP and ERROR. The read then fails with ECONNRESET, except through the kqueue double on Linux, which
     * consumed the error to fill the event's fflags and so reads end of stream (KqueueQuirksTest).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void connectionResetReported(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] tcp = fds.tcpPair();
            Events events = new Events(8);
            p.register(tcp[0], READ, A);
            expectNoEvents(p, events, 0);
            fds.reset(tcp[1]);
            int promised = backend == Backend.SELECT ? READABLE : READABLE | HANGUP | ERROR;
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, promised));
            assertEquals(promised, (int) seen.get(A), "a reset on " + backend.id() + ": " + Events.describe(seen.get(A)));
            if (backend == Backend.KQUEUE && io.pollkit.bindings.Platform.NAME.startsWith("linux")) {
                assertEquals(0, read(tcp[0]), "the kqueue double consumed SO_ERROR: end of stream");
            } else {
                ErrnoException e = assertThrows(ErrnoException.class, () -> read(tcp[0]), "the read after a reset");
                assertEquals(ECONNRESET(), e.errno(), e.getMessage());
            }
        }
    }

    // ---- wakeup --------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupBeforePollReturnsAtOnce(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            Events events = new Events(8);
            p.wakeup();
            long t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 10_000), "a wakeup is no event");
            assertEarly(t0, 5_000, "poll after wakeup()");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupDuringPollFromAnotherThread(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            p.register(pair[0], READ, A);
            Events events = new Events(8);
            WakeInWait waker = new WakeInWait(p);
            long t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 100_000), "a wakeup is no event");
            assertEarly(t0, 100_000, "poll woken from another thread (else it timed out)");
            waker.assertWokeDuringTheWait("poll with a registered, idle fd");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void repeatedWakeupsCollapse(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            Events events = new Events(8);
            for (int i = 0; i < 1000; i++) p.wakeup();
            long t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 10_000));
            assertEarly(t0, 5_000, "poll after 1000 wakeups");
            t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 100));
            assertWaited(t0, 100);   // the wakeups collapsed into the one above: this poll waits it out

            p.wakeup();   // and the waker is re-armed
            t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 10_000));
            assertEarly(t0, 5_000, "poll after a wakeup following a drained one");
        }
    }

    /** A wakeup racing with the drain of the previous one is never lost (the poll after it returns early). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupsRacingWithPollAreNeverLost(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            Events events = new Events(8);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) p.wakeup();
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            try {
                // A lost wakeup shows as a poll that waits out its timeout; the timeout is long enough that
                // no delay of a loaded machine looks like one.
                final long timeout = 30_000;
                for (int polls = 0; polls < 200; polls++) {
                    long t0 = System.nanoTime();
                    assertEquals(0, p.poll(events, timeout));
                    assertEarly(t0, timeout, "poll " + polls + " while another thread keeps calling wakeup() (else it timed out)");
                }
            } finally {
                stop.set(true);
                waker.join();
            }
            if (failed.get() != null) throw new AssertionError("wakeup() threw", failed.get());
            p.wakeup();
            long t0 = System.nanoTime();
            assertEquals(0, p.poll(events, 10_000));
            assertEarly(t0, 5_000, "a wakeup after the race");
        }
    }

    // ---- limits --------------------------------------------------------------------------------------

    /** An fd at or past FD_SETSIZE: select refuses it by name; the others watch it like any other. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void fdAtOrPastFdSetSize(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            String why = ensureNofile(FdSet.FD_SETSIZE + 64);
            if (why != null) because(test, backend, why);
            int[] pair = fds.pair();
            int high = fds.add(Fcntl.fcntl(pair[0], F_DUPFD_CLOEXEC(), FdSet.FD_SETSIZE));
            assertTrue(high >= FdSet.FD_SETSIZE, "F_DUPFD gave " + high);
            Events events = new Events(8);
            if (backend == Backend.SELECT) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.register(high, READ, A));
                assertTrue(e.getMessage().contains("FD_SETSIZE") && e.getMessage().contains(Integer.toString(high)),
                        "the refusal names the fd and FD_SETSIZE: " + e.getMessage());
                ErrnoException m = assertThrows(ErrnoException.class, () -> p.modify(high, READ, A));
                assertEquals(ENOENT(), m.errno(), "a refused fd is not registered");
                return;
            }
            p.register(high, READ, A);
            write(pair[1], "x");
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, READABLE));
            assertEquals(Set.of(A), seen.keySet());
            p.unregister(high);
        }
    }

    /** Capacity 2, five ready fds: 2 per poll, and polling again (nothing consumed) reaches all five. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void fullEventsBufferLeavesTheRestForLater(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            Set<Long> tokens = new HashSet<>();
            for (long t = 100; t < 105; t++) {
                int[] pair = fds.pair();
                p.register(pair[0], READ, t);
                write(pair[1], "x");
                tokens.add(t);
            }
            Events events = new Events(2);
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 10 && !seen.containsAll(tokens); i++) {
                assertEquals(2, p.poll(events, 1_000), "five fds ready, room for two");
                for (int j = 0; j < 2; j++) {
                    assertEquals(READABLE, events.ready(j) & READABLE);
                    seen.add(events.token(j));
                }
            }
            assertEquals(tokens, seen, "level-triggered: every ready fd is reported by some poll, none starves");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void thousandFdsOneReady(Backend backend, TestInfo test) throws Exception {
        if (backend == Backend.SELECT) because(test, backend, "select handles fds below FD_SETSIZE only (fdAtOrPastFdSetSize)");
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            String why = ensureNofile(1_500);
            if (why != null) because(test, backend, why);
            int[][] pairs = new int[500][];
            for (int i = 0; i < pairs.length; i++) {
                pairs[i] = fds.pair();
                p.register(pairs[i][0], READ, 2L * i);
                p.register(pairs[i][1], READ, 2L * i + 1);
            }
            Events events = new Events(64);
            expectNoEvents(p, events, 0);
            write(pairs[321][1], "x");   // makes pairs[321][0], token 642, readable
            int n = p.poll(events, 5_000);
            assertEquals(1, n, "1000 fds registered, one ready");
            assertEquals(642, events.token(0));
            assertEquals(READABLE, events.ready(0));
            assertEquals(1, read(pairs[321][0]));
            expectNoEvents(p, events, 0);
        }
    }

    /** Opening and closing a backend 200 times leaves as many entries in /proc/self/fd as before. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void noFdLeak(Backend backend, TestInfo test) throws Exception {
        if (!Proc.available()) because(test, backend, "no /proc/self/fd to count open fds in");
        try (Poller warm = open(test, backend)) {
            warm.wakeup();   // load and link everything once, so the count below is only the backend's
            warm.poll(new Events(1), 0);
        }
        long before = Proc.openFds();
        for (int i = 0; i < 200; i++) {
            try (Poller p = backend.open()) {
                p.wakeup();
                p.poll(new Events(4), 0);
            }
        }
        long after = Proc.openFds();
        for (int look = 0; look < 50 && after != before; look++) {   // the JVM itself may hold an fd open for a moment
            Thread.sleep(100);
            after = Proc.openFds();
        }
        assertEquals(before, after, "open fds before and after 200 open/close of " + backend.id());
    }

    // ---- modes ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void modesAreSupportedOrRefused(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            boolean expected = backend == Backend.EPOLL || backend == Backend.KQUEUE || backend == Backend.IO_URING;
            assertEquals(expected, p.supports(EDGE), "supports(EDGE)");
            assertEquals(expected, p.supports(ONESHOT), "supports(ONESHOT)");
            int[] pair = fds.pair();
            if (expected) {
                p.register(pair[0], READ | EDGE, A);
                p.register(pair[1], READ | ONESHOT, B);
                return;
            }
            for (int mode : new int[] {EDGE, ONESHOT, EDGE | ONESHOT}) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> p.register(pair[0], READ | mode, A));
                assertTrue(e.getMessage().contains(backend.id()), "the refusal names the backend: " + e.getMessage());
            }
            p.register(pair[0], READ, A);   // the refusals registered nothing
            assertThrows(UnsupportedOperationException.class, () -> p.modify(pair[0], READ | EDGE, B));
            write(pair[1], "x");
            expectEvents(p, new Events(8), Expect.all(A, READABLE));   // and the refused modify changed nothing
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void edgeTriggeredReportsOncePerNewData(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            if (!p.supports(EDGE)) because(test, backend, backend.id() + " has no edge-triggered mode (modesAreSupportedOrRefused)");
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | EDGE, A);
            expectNoEvents(p, events, 0);
            for (String data : new String[] {"one", "two", "three"}) {
                write(pair[1], data);   // new data, none of it read
                Map<Long, Integer> seen = expectEvents(p, events, Expect.all(A, READABLE));
                assertEquals(Set.of(A), seen.keySet());
                expectNoEvents(p, events, 50);   // still readable, but no new edge
            }
            assertEquals(11, read(pair[0]));
            expectNoEvents(p, events, 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void oneShotReportsOnceUntilModify(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend); Fds fds = new Fds()) {
            if (!p.supports(ONESHOT)) because(test, backend, backend.id() + " has no one-shot mode (modesAreSupportedOrRefused)");
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ | ONESHOT, A);
            write(pair[1], "x");
            expectEvents(p, events, Expect.all(A, READABLE));
            expectNoEvents(p, events, 50);
            write(pair[1], "y");   // even new data: disarmed until modify
            expectNoEvents(p, events, 50);

            p.modify(pair[0], READ | ONESHOT, B);   // re-armed, and still readable
            Map<Long, Integer> seen = expectEvents(p, events, Expect.all(B, READABLE));
            assertEquals(Set.of(B), seen.keySet());
            expectNoEvents(p, events, 50);

            p.unregister(pair[0]);   // a fired one-shot fd is still registered
            assertThrows(ErrnoException.class, () -> p.unregister(pair[0]));
            p.register(pair[0], READ, C);
            expectEvents(p, events, Expect.all(C, READABLE));
            expectEvents(p, events, Expect.all(C, READABLE));   // plain registration: level-triggered again
            assertEquals(2, read(pair[0]));
            assertFalse(read(pair[0]) > 0);
        }
    }
}
