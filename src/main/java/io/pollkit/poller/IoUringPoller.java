package io.pollkit.poller;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Results;
import io.pollkit.uring.Completion;
import io.pollkit.uring.Ring;

import java.io.IOException;
import java.util.Arrays;

import static io.pollkit.bindings.errno_h.EAGAIN;
import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.errno_h.EBUSY;
import static io.pollkit.bindings.errno_h.ECANCELED;
import static io.pollkit.bindings.errno_h.EEXIST;
import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CQSIZE;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_SUBMIT_ALL;
import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.poll_h.POLLERR;
import static io.pollkit.bindings.poll_h.POLLHUP;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.poll_h.POLLOUT;
import static io.pollkit.bindings.poll_h.POLLRDHUP;

/**
 * The io_uring readiness backend (Linux 5.13+): every registered fd has an IORING_OP_POLL_ADD request in the
 * ring, and a wait is one io_uring_enter that submits the changes since the last one and waits for completions,
 * bounded by the timeout (IORING_ENTER_EXT_ARG, or an IORING_OP_TIMEOUT SQE on a kernel without it).
 *
 * <p><b>Level-triggered from one-shot polls.</b> A multishot poll (IORING_POLL_ADD_MULTI) posts a CQE when the
 * fd's wait queue is woken and the fd is then ready: once per wakeup, not once per wait while the fd stays ready
 * (the kernel arms every POLL_ADD with EPOLLET; IORING_POLL_ADD_LEVEL is refused with EINVAL). Data left unread
 * would never be reported again (IoUringQuirksTest shows both). So a level-triggered fd gets a one-shot
 * POLL_ADD, and once its event has been handed to the caller, a new one is submitted with the next wait: arming
 * checks the fd at once (vfs_poll) and completes during the submission when it is still ready, so it is
 * reported again, exactly while it stays ready, as epoll re-checks its ready list on each epoll_wait. The cost is
 * one SQE per reported fd per wait, in the same system call. {@link #EDGE} is the multishot poll itself;
 * {@link #ONESHOT} a one-shot poll not re-armed until {@link #modify}.
 *
 * <p>The kernel adds POLLERR, POLLHUP and POLLRDHUP to every poll's mask. A POLLRDHUP that the interest did not
 * ask for (no {@link #READ}: the contract wants only a hang-up of both directions then) is not reported; a
 * one-shot poll that fired for it alone would fire again at once, so the fd is "parked" on a multishot poll,
 * which speaks again only on a new wakeup, until something of interest comes.
 *
 * <p>Changes (register, modify, unregister) are bookkeeping until the next {@link #poll}: modify of an armed
 * poll is one IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS|IORING_POLL_UPDATE_USER_DATA (a change of
 * mode, one-shot to multishot, is a remove and a new poll), unregister a POLL_REMOVE. Every poll request's
 * user_data is {@code generation << 32 | fd}, a generation new for each request, so a CQE of a request that
 * was replaced or removed meanwhile is recognised and dropped. An armed poll holds a reference to the fd's file:
 * an fd closed while registered stays open in the kernel until it is unregistered and the next poll submitted
 * that (close only after unregistering, as the contract says).
 *
 * <p>The ring is opened by the first poll, on the polling thread, with IORING_SETUP_SINGLE_ISSUER where the
 * kernel has it: the loop's thread submits, and register and friends may come from the thread that built the
 * loop before it ran. The waker is the eventfd every backend uses, watched by a multishot poll: another thread
 * only writes to it, which is allowed with SINGLE_ISSUER (submitting from it would not be).
 */
final class IoUringPoller implements Poller {
    // user_data: the top two bits say what a CQE answers.
    private static final long KIND = 3L << 62, POLL = 0, UPDATE = 1L << 62, REMOVE = 2L << 62, OWN = 3L << 62;
    private static final long WAKER = OWN | 1, TIMEOUT = OWN | 2;
    private static final int GEN_MASK = (1 << 30) - 1;

    private static final int SQ_ENTRIES = 256, CQ_ENTRIES = 4096;

    // Per-fd state bits.
    private static final int REG = 1, ARMED = 2, MULTI = 4, PARKED = 8, QUEUED = 16, TO_ARM = 32, SPENT = 64;

    private final Waker waker;
    private final boolean useExtArg;
    private final Completion sink = this::complete;
    private Ring ring;
    private boolean wakerArmed, wakerFired;
    private int reaped;

    private int[] st = new int[64];
    private int[] interests = new int[64];
    private int[] gens = new int[64];
    private int[] pending = new int[64];   // ready bits gathered, not yet handed out
    private long[] tokens = new long[64];
    private int nextGen = 1;
    private final FdQueue ready = new FdQueue(), toArm = new FdQueue();
    private long[] removals = new long[16];
    private int removalCount;

    IoUringPoller() throws IOException {
        this(true);
    }

    /** {@code useExtArg} false: timed waits by an IORING_OP_TIMEOUT SQE even where the kernel has EXT_ARG (tests). */
    IoUringPoller(boolean useExtArg) throws IOException {
        this.useExtArg = useExtArg;
        this.waker = new Waker();
    }

    @Override
    public String name() {
        return "io_uring";
    }

    @Override
    public boolean supports(int mode) {
        return mode == EDGE || mode == ONESHOT;
    }

    private static int toPoll(int interest) {
        int e = 0;
        if ((interest & READ) != 0) e |= POLLIN() | POLLRDHUP();
        if ((interest & WRITE) != 0) e |= POLLOUT();
        return e;   // the kernel adds POLLERR, POLLHUP and POLLRDHUP
    }

    /** The ready bits of a poll mask, as far as {@code interest} asks for them (0: nothing it asks for). */
    private static int toBits(int mask, int interest) {
        int bits = 0;
        if ((mask & POLLIN()) != 0 && (interest & READ) != 0) bits |= READABLE;
        if ((mask & POLLOUT()) != 0 && (interest & WRITE) != 0) bits |= WRITABLE;
        if ((mask & POLLHUP()) != 0 || (mask & POLLRDHUP()) != 0 && (interest & READ) != 0) bits |= HANGUP;
        if ((mask & POLLERR()) != 0) bits |= ERROR;
        return bits;
    }

    private static boolean edge(int interest) {
        return (interest & EDGE) != 0 && (interest & ONESHOT) == 0;
    }

    // ---- registration: bookkeeping, applied by the next poll ----

    @Override
    public void register(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        if (fd < 0) throw new ErrnoException("io_uring register(fd=" + fd + ")", EBADF());
        if (fd < st.length && (st[fd] & REG) != 0) throw new ErrnoException("io_uring register(fd=" + fd + ")", EEXIST());
        grow(fd);
        st[fd] = REG;
        interests[fd] = interest;
        tokens[fd] = token;
        pending[fd] = 0;
        scheduleArm(fd);
    }

    @Override
    public void modify(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        if (fd < 0 || fd >= st.length || (st[fd] & REG) == 0) {
            throw new ErrnoException("io_uring modify(fd=" + fd + ")", ENOENT());
        }
        interests[fd] = interest;
        tokens[fd] = token;
        st[fd] &= ~(QUEUED | SPENT | PARKED);   // what was gathered was for the old interest; re-armed below
        pending[fd] = 0;
        scheduleArm(fd);
    }

    @Override
    public void unregister(int fd) throws IOException {
        if (fd < 0 || fd >= st.length || (st[fd] & REG) == 0) {
            throw new ErrnoException("io_uring unregister(fd=" + fd + ")", ENOENT());
        }
        if ((st[fd] & ARMED) != 0) addRemoval(pollData(fd, gens[fd]));
        st[fd] = 0;
        pending[fd] = 0;
        // An armed poll holds the fd's file: removed now, a close(2) right after this closes the socket (and frees
        // its port) as on the other backends, instead of at the next poll. One io_uring_enter, as epoll_ctl's DEL.
        if (removalCount > 0 && ring != null && ring.isOwnedByCurrentThread()) submitRemovals();
    }

    private void submitRemovals() throws ErrnoException {
        for (int i = 0; i < removalCount; i++) {
            while (!ring.preparePollRemove(removals[i], REMOVE | removals[i])) makeRoom();
        }
        removalCount = 0;
        ring.submitAndSettle();
    }

    private void grow(int fd) {
        if (fd < st.length) return;
        int n = Math.max(fd + 1, st.length * 2);
        st = Arrays.copyOf(st, n);
        interests = Arrays.copyOf(interests, n);
        gens = Arrays.copyOf(gens, n);
        pending = Arrays.copyOf(pending, n);
        tokens = Arrays.copyOf(tokens, n);
    }

    private void scheduleArm(int fd) {
        if ((st[fd] & TO_ARM) != 0) return;
        st[fd] |= TO_ARM;
        toArm.add(fd);
    }

    private void addRemoval(long userData) {
        if (removalCount == removals.length) removals = Arrays.copyOf(removals, removals.length * 2);
        removals[removalCount++] = userData;
    }

    private static long pollData(int fd, int gen) {
        return (long) gen << 32 | (fd & 0xffff_ffffL);
    }

    private int newGen() {
        int g = nextGen;
        nextGen = g == GEN_MASK ? 1 : g + 1;
        return g;
    }

    // ---- waiting ----

    /*
     * One method with one hand-out point, on purpose: its bytecode is larger than C2's FreqInlineSize (325 bytes),
     * so the JIT compiles it on its own rather than inlining it, with the ring's accesses and io_uring_enter's
     * downcall, into its caller. Inlined, it could use up the caller's node budget (NodeCountInliningCutoff), and the
     * caller's own downcalls after it then allocated the slice of the errno capture segment that the JDK makes on
     * every call and escape analysis otherwise removes (docs/DESIGN.md, "Kept out of line").
     */
    @Override
    public int poll(Events events, long timeoutMillis) throws IOException {
        events.clear();
        wakerFired = false;
        if (ring == null) ring = openRing();
        long timeoutNanos = timeoutMillis < 0 ? -1 : Timeouts.clamp(timeoutMillis) * 1_000_000;
        long deadline = System.nanoTime() + timeoutNanos;
        boolean first = true, wait = false;
        int r = 0;
        applyChanges();   // before the hand-out below: an fd handed out now is looked at again by the next poll
        for (;;) {
            // Hands out gathered readiness, oldest first, while the buffer has room: first what a full buffer left
            // out last time, then what the wait below brought.
            while (!ready.isEmpty() && events.size() < events.capacity()) {
                int fd = ready.poll();
                if ((st[fd] & QUEUED) == 0) continue;   // dropped by modify or unregister since
                st[fd] &= ~QUEUED;
                int bits = pending[fd];
                pending[fd] = 0;
                events.add(tokens[fd], bits);
                int interest = interests[fd];
                if ((interest & ONESHOT) != 0) {
                    st[fd] |= SPENT;
                } else if (!edge(interest) && (st[fd] & ARMED) == 0) {
                    scheduleArm(fd);   // level-triggered: looked at again by the next wait
                }
            }
            if (first) {
                first = false;
                wait = events.size() == 0 && timeoutMillis != 0;
            } else {
                // Returns on events, a wakeup, no wait asked, or a wait that ended with no CQE at all: its timeout
                // passed or a signal came (EINTR, which a submission in the same call hides), and the caller
                // recomputes its timeout. CQEs that only change the poller's own state (a removal, a parked fd, a
                // stale generation) mean waiting again for the rest of the time.
                if (events.size() > 0 || wakerFired || !wait || r == Results.INTERRUPTED || reaped == 0) break;
                if (timeoutNanos >= 0) {
                    timeoutNanos = deadline - System.nanoTime();
                    if (timeoutNanos <= 0) break;
                }
                applyChanges();   // what those CQEs called for (nothing was handed out in this poll)
            }
            if (!wait) {
                r = ring.submit();
            } else if (timeoutNanos < 0) {
                r = ring.submitAndWait(1);
            } else if (useExtArg && ring.hasExtArg()) {
                r = ring.submitAndWait(1, timeoutNanos, TIMEOUT);
            } else {
                r = ring.submitAndWaitByTimeoutSqe(1, timeoutNanos, TIMEOUT);
            }
            reaped = 0;
            ring.reap(sink);
            if (wakerFired) waker.drain();
        }
        return events.size();
    }

    private Ring openRing() throws ErrnoException {
        int flags = IORING_SETUP_CQSIZE() | IORING_SETUP_SUBMIT_ALL() | Ring.eventLoopFlags();
        try {
            return Ring.open(SQ_ENTRIES, CQ_ENTRIES, flags);
        } catch (ErrnoException e) {
            if (e.errno() != EINVAL()) throw e;
            // SUBMIT_ALL (5.18): without it a failed SQE (a closed fd) stops the rest of a batch until the next
            // enter; they are not lost, only a wait later.
            return Ring.open(SQ_ENTRIES, CQ_ENTRIES, IORING_SETUP_CQSIZE() | Ring.eventLoopFlags());
        }
    }

    private void enqueue(int fd, int bits) {
        pending[fd] |= bits;
        if ((st[fd] & QUEUED) != 0) return;
        st[fd] |= QUEUED;
        ready.add(fd);
    }

    /** One CQE (from {@link Ring#reap}). */
    private void complete(long userData, int res, int flags) {
        reaped++;
        boolean more = (flags & IORING_CQE_F_MORE()) != 0;
        long kind = userData & KIND;
        if (kind == OWN) {
            if (userData == WAKER) {
                if (res > 0) wakerFired = true;
                if (!more) wakerArmed = false;
            }
            return;   // TIMEOUT: the wait's own timer
        }
        if (kind == REMOVE) return;
        int fd = (int) userData, gen = (int) (userData >>> 32) & GEN_MASK;
        if (fd < 0 || fd >= st.length || (st[fd] & REG) == 0 || gens[fd] != gen) return;   // replaced or removed since
        int s = st[fd];
        if (kind == UPDATE) {
            // The request to update had completed (ENOENT) or was completing (EALREADY): its CQE carried the old
            // generation and was dropped, so the fd has no poll now. Arm a new one.
            if (res < 0 && (s & ARMED) != 0) {
                st[fd] = s & ~(ARMED | MULTI);
                scheduleArm(fd);
            }
            return;
        }
        if (!more) st[fd] = s = s & ~(ARMED | MULTI);   // the request is gone
        int interest = interests[fd];
        if (res == -ECANCELED()) {   // not by this poller (it cancels only older generations): arm again
            if (!more) scheduleArm(fd);
            return;
        }
        int bits = res < 0 ? ERROR : toBits(res, interest);   // -errno: the fd itself is bad (EBADF: closed)
        if (bits == 0) {
            // Only what the interest does not ask for (POLLRDHUP without READ).
            if (more) return;   // a multishot poll: it speaks again on the next wakeup
            if (!edge(interest)) st[fd] |= PARKED;   // a one-shot one would fire again at once: park it
            scheduleArm(fd);
            return;
        }
        enqueue(fd, bits);
        if (edge(interest)) {
            if (!more && res >= 0) scheduleArm(fd);   // the kernel ended the multishot poll (CQ overflow): again
            return;
        }
        if (more) {
            // A parked fd's multishot poll brought something of interest: back to one-shot polls, re-armed when
            // this event has been handed out.
            addRemoval(userData);
            gens[fd] = newGen();
            st[fd] &= ~(ARMED | MULTI);
        }
        st[fd] &= ~PARKED;
    }

    /** Prepares the removals and the polls to arm, submitting on the way when the SQ fills. */
    private void applyChanges() throws ErrnoException {
        if (!wakerArmed) {
            while (!ring.preparePollAdd(waker.fd(), POLLIN(), true, WAKER)) makeRoom();
            wakerArmed = true;
        }
        for (int i = 0; i < removalCount; i++) {
            while (!ring.preparePollRemove(removals[i], REMOVE | removals[i])) makeRoom();
        }
        removalCount = 0;
        while (!toArm.isEmpty()) {
            int fd = toArm.poll();
            int s = st[fd];
            if ((s & TO_ARM) == 0) continue;
            st[fd] = s &= ~TO_ARM;
            if ((s & REG) == 0 || (s & SPENT) != 0) continue;   // gone, or a one-shot that fired
            int interest = interests[fd], mask = toPoll(interest);
            boolean multishot = edge(interest) || (s & PARKED) != 0;
            int gen = newGen();
            long old = pollData(fd, gens[fd]), now = pollData(fd, gen);
            if ((s & ARMED) != 0 && ((s & MULTI) != 0) == multishot) {
                while (!ring.preparePollUpdate(old, now, mask, multishot, UPDATE | now)) makeRoom();
            } else {
                if ((s & ARMED) != 0) {
                    while (!ring.preparePollRemove(old, REMOVE | old)) makeRoom();
                }
                while (!ring.preparePollAdd(fd, mask, multishot, now)) makeRoom();
            }
            gens[fd] = gen;
            st[fd] = s | ARMED | (multishot ? MULTI : 0);
        }
    }

    /** A full SQ: hands it to the kernel. EBUSY or EAGAIN: completions must be reaped first. */
    private void makeRoom() throws ErrnoException {
        try {
            ring.submit();
        } catch (ErrnoException e) {
            if (e.errno() != EBUSY() && e.errno() != EAGAIN()) throw e;
            ring.reap(sink);   // gathered, handed out by the poll
        }
    }

    @Override
    public void wakeup() {
        waker.wake();
    }

    @Override
    public void close() {
        if (ring != null) {
            // The polls still armed (fds never unregistered, removals queued on another thread) hold their files:
            // removed now, they are released before this returns rather than later by the ring's teardown in a
            // kernel worker. Only the owner may submit; closed from another thread, the teardown does it.
            if (ring.isOwnedByCurrentThread()) {
                try {
                    for (int fd = 0; fd < st.length; fd++) {
                        if ((st[fd] & ARMED) != 0) addRemoval(pollData(fd, gens[fd]));
                    }
                    submitRemovals();
                } catch (ErrnoException e) {
                    // the ring goes anyway
                }
            }
            try {
                ring.close();
            } catch (ErrnoException e) {
                // close(2) of the ring's fd: Linux has released it whatever it says
            }
            ring = null;
        }
        waker.close();
    }
}
