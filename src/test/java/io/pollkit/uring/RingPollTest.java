package io.pollkit.uring;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.errno_h.ETIME;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;
import static io.pollkit.bindings.io_uring_h.IORING_OP_NOP;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_ADD;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_REMOVE;
import static io.pollkit.bindings.io_uring_h.IORING_OP_TIMEOUT;
import static io.pollkit.bindings.io_uring_h.IORING_POLL_ADD_LEVEL;
import static io.pollkit.bindings.io_uring_h.IORING_POLL_ADD_MULTI;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.poll_h.POLLOUT;
import static io.pollkit.bindings.poll_h.POLLRDHUP;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the readiness backend builds on, against the real kernel: timed waits (EXT_ARG and the IORING_OP_TIMEOUT
 * fallback), the probe, and how IORING_OP_POLL_ADD behaves on sockets: a multishot poll speaks once per wakeup,
 * not while the fd stays ready (why IoUringPoller re-arms one-shot polls for level-triggered fds), the kernel
 * refuses IORING_POLL_ADD_LEVEL, adds POLLRDHUP to every mask, and a poll update re-checks the fd at once.
 */
class RingPollTest {
    private static final class Seen implements Completion {
        final List<long[]> all = new ArrayList<>();

        @Override
        public void complete(long userData, int res, int flags) {
            all.add(new long[] {userData, res, flags});
        }

        long[] only(long userData) {
            List<long[]> of = all.stream().filter(c -> c[0] == userData).toList();
            assertEquals(1, of.size(), "completions of user_data " + userData + " among " + describe());
            return of.get(0);
        }

        int count(long userData) {
            return (int) all.stream().filter(c -> c[0] == userData).count();
        }

        String describe() {
            StringBuilder b = new StringBuilder();
            for (long[] c : all) b.append(" {").append(c[0]).append(", ").append(c[1]).append(", 0x").append(Long.toHexString(c[2])).append('}');
            return b.isEmpty() ? " nothing" : b.toString();
        }
    }

    private Ring ring;
    private int[] pair;
    private final Arena arena = Arena.ofShared();

    @BeforeEach
    void needsTheReadinessBackend(TestInfo test) {
        String reason = Availability.readinessUnavailableReason();
        if (reason != null) Skip.because(test, reason);
    }

    /** On the test's own thread (the timeout runs tests apart from @BeforeEach): the ring belongs to it. */
    private void open() throws ErrnoException {
        ring = Ring.open(8);
        pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
    }

    @AfterEach
    void close() throws ErrnoException {
        if (ring != null) ring.close();   // another thread may close a ring its owner no longer uses
        if (pair != null) {
            Unistd.closeQuietly(pair[0]);
            Unistd.closeQuietly(pair[1]);
        }
        arena.close();
    }

    private void write(int fd, String s) throws ErrnoException {
        MemorySegment b = arena.allocateFrom(s);
        assertEquals(s.length(), Unistd.write(fd, b, s.length()));
    }

    /** Submits, waits up to {@code millis} for one completion, and reaps everything. */
    private Seen waitAndReap(long millis) throws ErrnoException {
        ring.submitAndWait(1, millis * 1_000_000, 999);
        Seen seen = new Seen();
        ring.reap(seen);
        return seen;
    }

    @Test
    void aTimedWaitEndsAfterItsTimeoutWithNothingToReap() throws ErrnoException {
        open();
        for (long ms : new long[] {20, 100}) {
            long t0 = System.nanoTime();
            assertEquals(0, ring.submitAndWait(1, ms * 1_000_000, 999), "nothing to submit, and ETIME is no error");
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= ms - 5, "the wait took " + took + " ms, less than its " + ms + " ms");
            Seen seen = new Seen();
            assertEquals(ring.hasExtArg() ? 0 : 1, ring.reap(seen), seen.describe());
        }
    }

    @Test
    void theTimeoutSqeFallbackEndsTheWaitAndSaysSoInItsCqe() throws ErrnoException {
        open();
        long t0 = System.nanoTime();
        ring.submitAndWaitByTimeoutSqe(1, 50_000_000, 777);
        assertTrue((System.nanoTime() - t0) / 1_000_000 >= 45, "the IORING_OP_TIMEOUT fallback waited its 50 ms");
        Seen seen = new Seen();
        ring.reap(seen);
        assertEquals(-ETIME(), seen.only(777)[1], "the timeout's own CQE: -ETIME");

        // With a completion before the time: the timeout completes too (its count reached), res 0, and does not linger.
        ring.prepareNop(5);
        t0 = System.nanoTime();
        ring.submitAndWaitByTimeoutSqe(1, 10_000_000_000L, 778);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "a NOP ended a 10 s wait");
        seen = new Seen();
        ring.reap(seen);
        seen.only(5);
        assertEquals(0, seen.only(778)[1], "a timeout whose count was reached completes with 0: " + seen.describe());
    }

    @Test
    void aTimedWaitReturnsAsSoonAsACompletionComes() throws ErrnoException {
        open();
        ring.prepareNop(1);
        long t0 = System.nanoTime();
        assertEquals(1, ring.submitAndWait(1, 10_000_000_000L, 999));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "a NOP ended a 10 s wait");
        Seen seen = new Seen();
        ring.reap(seen);
        seen.only(1);
    }

    @Test
    void theProbeKnowsTheOpcodesThisKernelRuns() throws ErrnoException {
        open();
        BitSet ops = ring.supportedOpcodes();
        for (int op : new int[] {IORING_OP_NOP(), IORING_OP_POLL_ADD(), IORING_OP_POLL_REMOVE(), IORING_OP_TIMEOUT()}) {
            assertTrue(ops.get(op), "opcode " + op + " in " + ops);
        }
        assertTrue(ops.cardinality() < 256, "not every byte is an opcode: " + ops.cardinality());
    }

    @Test
    void availabilityNamesWhatAKernelLacks() {
        BitSet all = new BitSet();
        all.set(0, 256);
        int everything = -1;
        assertEquals(null, Availability.missingForReadiness(everything, all));
        BitSet noPoll = (BitSet) all.clone();
        noPoll.clear(IORING_OP_POLL_ADD());
        String reason = Availability.missingForReadiness(everything, noPoll);
        assertTrue(reason.contains("IORING_OP_POLL_ADD") && !reason.contains("IORING_OP_POLL_REMOVE"), reason);
        reason = Availability.missingForReadiness(0, new BitSet());
        for (String what : new String[] {"IORING_OP_POLL_ADD", "IORING_OP_POLL_REMOVE", "IORING_OP_TIMEOUT", "IORING_FEAT_NODROP", "multishot"}) {
            assertTrue(reason.contains(what), what + " in: " + reason);
        }
    }

    /** The reason IoUringPoller does not take multishot polls for level-triggered fds. */
    @Test
    void aMultishotPollSpeaksOncePerWakeupNotWhileTheFdStaysReady() throws ErrnoException {
        open();
        write(pair[1], "one");
        assertTrue(ring.preparePollAdd(pair[0], POLLIN(), true, 1));
        Seen seen = waitAndReap(5_000);
        long[] first = seen.only(1);
        assertTrue((first[1] & POLLIN()) != 0 && (first[2] & IORING_CQE_F_MORE()) != 0, "ready at once, and armed on: " + seen.describe());

        seen = waitAndReap(100);   // nothing read: still readable, and yet
        assertEquals(0, seen.count(1), "no second CQE while the data waits unread:" + seen.describe());

        write(pair[1], "two");   // a wakeup
        seen = waitAndReap(5_000);
        assertEquals(1, seen.count(1), "one CQE for the new data:" + seen.describe());
    }

    @Test
    void aOneShotPollArmedOnAReadyFdCompletesDuringTheSubmission() throws ErrnoException {
        open();
        write(pair[1], "x");
        for (int round = 0; round < 3; round++) {   // re-armed: reported again while the data stays unread
            assertTrue(ring.preparePollAdd(pair[0], POLLIN(), false, 10 + round));
            ring.submit();   // no waiting
            Seen seen = new Seen();
            ring.reap(seen);
            long[] c = seen.only(10 + round);
            assertTrue((c[1] & POLLIN()) != 0 && (c[2] & IORING_CQE_F_MORE()) == 0, seen.describe());
        }
    }

    @Test
    void theKernelRefusesLevelTriggeredPollAdd() throws ErrnoException {
        open();
        assertTrue(ring.prepare(IORING_OP_POLL_ADD(), pair[0], 0, IORING_POLL_ADD_MULTI() | IORING_POLL_ADD_LEVEL(), 0, POLLIN(), 3));
        assertEquals(-EINVAL(), waitAndReap(5_000).only(3)[1], "IORING_POLL_ADD_LEVEL is for the kernel's own polls");
    }

    @Test
    void theKernelAddsPollRdHupToEveryMask() throws ErrnoException {
        open();
        Sockets.shutdown(pair[1], io.pollkit.bindings.sys_socket_h.SHUT_WR());
        assertTrue(ring.preparePollAdd(pair[0], 0, false, 4));   // no event asked for
        assertEquals(POLLRDHUP(), waitAndReap(5_000).only(4)[1], "a half-close comes as POLLRDHUP alone");
    }

    @Test
    void anUpdateChangesTheMaskAndUserDataAndLooksAtTheFdAgain() throws ErrnoException {
        open();
        assertTrue(ring.preparePollAdd(pair[0], POLLIN(), false, 20));
        assertEquals(0, waitAndReap(20).count(20), "nothing to read");
        assertTrue(ring.preparePollUpdate(20, 21, POLLOUT(), false, 30));
        Seen seen = waitAndReap(5_000);
        assertEquals(0, seen.only(30)[1], "the update itself:" + seen.describe());
        if (seen.count(21) == 0) seen = waitAndReap(5_000);
        assertTrue((seen.only(21)[1] & POLLOUT()) != 0, "writable at once, under the new user_data:" + seen.describe());

        assertTrue(ring.preparePollUpdate(21, 22, POLLIN(), false, 31));   // 21 has completed: nothing to update
        assertEquals(-ENOENT(), waitAndReap(5_000).only(31)[1]);
        assertTrue(ring.preparePollRemove(21, 32));
        assertEquals(-ENOENT(), waitAndReap(5_000).only(32)[1]);
    }
    /** The kernel ties submitting to a thread, not closing: a ring its owner stopped using is closed by another. */
    @Test
    void anotherThreadClosesARingItsOwnerLeft() throws Exception {
        Ring[] opened = new Ring[1];
        Thread owner = Thread.ofPlatform().start(() -> {
            try {
                opened[0] = Ring.open(2);
                opened[0].prepareNop(1);
                opened[0].submit();
            } catch (ErrnoException e) {
                throw new AssertionError(e);
            }
        });
        owner.join();
        int fd = opened[0].fd();
        opened[0].close();
        opened[0].close();
        assertTrue(!io.pollkit.testing.Proc.available() || !java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/fd/" + fd))
                || !java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString().contains("io_uring"),
                "the ring's fd is closed");
    }
}
