package io.pollkit.uring;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.EventFd;
import io.pollkit.sys.Results;
import io.pollkit.sys.Signals;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Proc;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import sun.misc.Signal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.pollkit.bindings.io_uring_h.IORING_FEAT_NODROP;
import static io.pollkit.bindings.io_uring_h.IORING_OP_READ;
import static io.pollkit.bindings.io_uring_h.__NR_io_uring_enter;
import static io.pollkit.bindings.signal_h.SIGWINCH;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_SINGLE_MMAP;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring against the real kernel: NOPs carry their user_data back, in order, through a full SQ and a full CQ. */
class RingTest {

    /** Every completion, as {@code user_data}, {@code res}, {@code flags}. */
    private static final class Seen implements Completion {
        final List<long[]> all = new ArrayList<>();

        @Override
        public void complete(long userData, int res, int flags) {
            all.add(new long[] {userData, res, flags});
        }

        void assertNops(long from, long to) {
            assertEquals(to - from, all.size(), "completions");
            for (int i = 0; i < all.size(); i++) {
                assertEquals(from + i, all.get(i)[0], "user_data of completion " + i);
                assertEquals(0, all.get(i)[1], "res of NOP " + (from + i));
            }
        }
    }

    @BeforeEach
    void needsIoUring(TestInfo test) {
        String reason = Availability.unavailableReason();
        if (reason != null) Skip.because(test, reason);
    }

    @Test
    void aNopComesBackWithItsUserData() throws ErrnoException {
        try (Ring ring = Ring.open(8)) {
            assertEquals(8, ring.sqEntries());
            assertEquals(16, ring.cqEntries(), "the kernel's default CQ is twice the SQ");
            assertEquals((ring.features() & IORING_FEAT_SINGLE_MMAP()) != 0, ring.singleMapping());
            assertTrue(ring.prepareNop(0xfeedfacecafebeefL));
            assertEquals(1, ring.pending());
            assertEquals(1, ring.submitAndWait(1));
            assertEquals(0, ring.pending());
            assertEquals(1, ring.ready());
            Seen seen = new Seen();
            assertEquals(1, ring.reap(seen));
            assertEquals(0xfeedfacecafebeefL, seen.all.get(0)[0]);
            assertEquals(0, seen.all.get(0)[1]);
            assertEquals(0, ring.ready());
            assertEquals(0, ring.reap(seen), "nothing twice");
        }
    }

    @Test
    void aSingleIssuerKernelGetsTheFlag() throws ErrnoException {
        try (Ring ring = Ring.open(2)) {
            boolean single = (ring.setupFlags() & IORING_SETUP_SINGLE_ISSUER()) != 0;
            System.out.println("RingTest: IORING_SETUP_SINGLE_ISSUER " + (single ? "taken" : "refused (kernel before 6.0)"));
            if (kernelAtLeast(6, 0)) assertTrue(single, "6.0 and later have IORING_SETUP_SINGLE_ISSUER");
        }
    }

    @Test
    void anEventLoopRingIsCooperativeOnKernelsThatHaveIt() throws ErrnoException {
        try (Ring ring = Ring.open(2, 0, Ring.eventLoopFlags())) {
            boolean coop = (ring.setupFlags() & Ring.eventLoopFlags()) == Ring.eventLoopFlags();
            System.out.println("RingTest: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG "
                    + (coop ? "taken" : "refused (kernel before 5.19)"));
            if (kernelAtLeast(5, 19)) assertTrue(coop, "5.19 and later have IORING_SETUP_COOP_TASKRUN");
        }
    }

    /**
     * With COOP_TASKRUN a completion caused elsewhere (here: another thread writes the eventfd a READ waits on) does
     * not interrupt the ring's thread while it runs in user space: it is posted at the thread's next return from the
     * kernel (a syscall, or an interrupt such as the timer's), or at once when {@link Ring#reap} sees
     * IORING_SQ_TASKRUN and enters for it. Either way a reaper that never waits gets it, and a thread asleep in
     * {@link Ring#submitAndWait} is woken as before.
     */
    @Test
    void completionsCausedByAnotherThreadReachAReaperThatNeverWaitsAndOneThatWaits() throws Exception {
        int efd = EventFd.eventfd(0, 0);   // blocking: the READ waits in the kernel (armed poll)
        try (Ring ring = Ring.open(4, 0, Ring.eventLoopFlags());
             Arena arena = Arena.ofShared()) {   // the writer thread reads `one`
            MemorySegment in = arena.allocate(8), one = arena.allocate(8);
            one.set(JAVA_LONG, 0, 1);
            for (boolean waits : new boolean[] {false, true}) {
                assertTrue(ring.prepare(IORING_OP_READ(), efd, in.address(), 8, 0, 0, 7));
                ring.submit();
                Seen seen = new Seen();
                assertEquals(0, ring.reap(seen), "nothing written yet");
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        Thread.sleep(100);
                        Unistd.write(efd, one, 8);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (seen.all.isEmpty() && System.nanoTime() < deadline) {
                    if (waits) ring.submitAndWait(1);
                    ring.reap(seen);
                }
                writer.join();
                assertEquals(1, seen.all.size(), (waits ? "a waiting" : "a spinning") + " reaper gets the READ's completion");
                assertEquals(7, seen.all.get(0)[0]);
                assertEquals(8, seen.all.get(0)[1], "the eventfd's 8 bytes");
            }
        } finally {
            Unistd.closeQuietly(efd);
        }
    }

    @Test
    void manyInFlightCompleteInSubmissionOrder() throws ErrnoException {
        int total = 20_000;
        try (Ring ring = Ring.open(64)) {
            Seen seen = new Seen();
            long next = 0;
            while (next < total) {
                while (next < total && ring.prepareNop(next)) next++;
                ring.submit();
                // Reap only now and then, so that many completions are outstanding at once.
                if (ring.ready() > ring.cqEntries() / 2) ring.reap(seen);
            }
            while (seen.all.size() < total) {
                ring.submitAndWait(1);
                ring.reap(seen);
            }
            seen.assertNops(0, total);
            assertEquals(0, ring.dropped());
        }
    }

    @Test
    void aFullSqRefusesAndOverwritesNothing() throws ErrnoException {
        try (Ring ring = Ring.open(4)) {
            for (int i = 0; i < 4; i++) assertTrue(ring.prepareNop(i), "SQE " + i);
            assertFalse(ring.prepareNop(99), "the fifth SQE of a 4-entry SQ");
            assertEquals(4, ring.pending());
            assertEquals(4, ring.submit());
            assertTrue(ring.prepareNop(4), "room again once the kernel consumed the SQ");
            assertEquals(1, ring.submitAndWait(5));
            Seen seen = new Seen();
            ring.reap(seen);
            seen.assertNops(0, 5);
        }
    }

    @Test
    void aFullCqLosesNothing(TestInfo test) throws ErrnoException {
        try (Ring ring = Ring.open(4)) {
            if ((ring.features() & IORING_FEAT_NODROP()) == 0) Skip.because(test, "the kernel has no IORING_FEAT_NODROP");
            int rounds = 6;   // 24 NOPs into an 8-entry CQ, reaping none
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 4; i++) assertTrue(ring.prepareNop(r * 4L + i));
                assertEquals(4, ring.submit(), "round " + r);
            }
            assertEquals(ring.cqEntries(), ring.ready(), "the CQ is full; the rest are held back");
            Seen seen = new Seen();
            assertEquals(rounds * 4, ring.reap(seen));
            seen.assertNops(0, rounds * 4L);
            assertEquals(0, ring.dropped());
            assertEquals(0, ring.reap(seen));
        }
    }

    /**
     * A signal that arrives while io_uring_enter waits for completions ends the wait with
     * {@link Results#INTERRUPTED}, as the other waits do, and the ring works on. The signal is sent once the
     * thread is inside io_uring_enter (its number, from the bindings, is what /proc shows), and again every
     * 50 ms, so one that came just before the wait cannot leave the test waiting for ever.
     */
    @Test
    void aSignalEndsAWaitWithInterrupted() throws Exception {
        Signal.handle(new Signal("WINCH"), s -> {});
        AtomicInteger tid = new AtomicInteger();
        AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Seen seen = new Seen();
        CountDownLatch ready = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try (Ring ring = Ring.open(2)) {
                tid.set(Signals.gettid());
                ready.countDown();
                result.set(ring.submitAndWait(1));   // nothing in flight: only a signal ends this
                ring.prepareNop(7);
                ring.submitAndWait(1);
                ring.reap(seen);
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        ready.await();
        assertEquals(__NR_io_uring_enter(), Proc.awaitBlockedInWait(tid.get(), Duration.ofSeconds(30)));
        int signals = 0;
        do {
            Signals.tgkill((int) ProcessHandle.current().pid(), tid.get(), SIGWINCH());
            signals++;
        } while (!t.join(Duration.ofMillis(50)) && signals < 400);
        assertFalse(t.isAlive(), signals + " signals did not end io_uring_enter's wait");
        if (failed.get() != null) throw new AssertionError("the interrupted ring failed", failed.get());
        assertEquals(Results.INTERRUPTED, result.get());
        seen.assertNops(7, 8);
    }

    @Test
    void aRingBelongsToTheThreadThatOpenedIt() throws Exception {
        try (Ring ring = Ring.open(2)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    ring.prepareNop(1);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            other.join();
            assertInstanceOf(IllegalStateException.class, thrown.get());
            assertEquals(0, ring.pending(), "the other thread wrote nothing");
        }
        AtomicReference<Throwable> virtual = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try (Ring r = Ring.open(2)) {
                r.fd();
            } catch (Throwable t) {
                virtual.set(t);
            }
        }).join();
        assertInstanceOf(IllegalStateException.class, virtual.get(), "a virtual thread may change OS threads");
    }

    @Test
    void closeIsIdempotentAndTheRingIsThenUnusable() throws ErrnoException {
        Ring ring = Ring.open(2);
        ring.close();
        ring.close();
        assertThrows(IllegalStateException.class, () -> ring.prepareNop(1));
        assertThrows(IllegalArgumentException.class, () -> Ring.open(2, 0, IORING_SETUP_SINGLE_ISSUER() << 8));
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(v[0]), mi = Integer.parseInt(v[1]);
        return ma > major || ma == major && mi >= minor;
    }
}
