package io.pollkit.uring;

import io.pollkit.bindings.__kernel_timespec;
import io.pollkit.bindings.io_cqring_offsets;
import io.pollkit.bindings.io_sqring_offsets;
import io.pollkit.bindings.io_uring_cqe;
import io.pollkit.bindings.io_uring_getevents_arg;
import io.pollkit.bindings.io_uring_params;
import io.pollkit.bindings.io_uring_sqe;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.IoUring;
import io.pollkit.sys.Mman;
import io.pollkit.sys.Results;
import io.pollkit.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.BitSet;

import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.io_uring_h.IORING_ENTER_GETEVENTS;
import static io.pollkit.bindings.io_uring_h.IORING_ENTER_EXT_ARG;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_EXT_ARG;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_ADD;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_REMOVE;
import static io.pollkit.bindings.io_uring_h.IORING_OP_TIMEOUT;
import static io.pollkit.bindings.io_uring_h.IORING_POLL_ADD_MULTI;
import static io.pollkit.bindings.io_uring_h.IORING_POLL_UPDATE_EVENTS;
import static io.pollkit.bindings.io_uring_h.IORING_POLL_UPDATE_USER_DATA;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_SINGLE_MMAP;
import static io.pollkit.bindings.io_uring_h.IORING_OFF_CQ_RING;
import static io.pollkit.bindings.io_uring_h.IORING_OFF_SQES;
import static io.pollkit.bindings.io_uring_h.IORING_OFF_SQ_RING;
import static io.pollkit.bindings.io_uring_h.IORING_OP_NOP;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CLAMP;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_COOP_TASKRUN;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CQSIZE;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_SINGLE_ISSUER;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_SUBMIT_ALL;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_TASKRUN_FLAG;
import static io.pollkit.bindings.io_uring_h.IORING_SQ_CQ_OVERFLOW;
import static io.pollkit.bindings.io_uring_h.IORING_SQ_TASKRUN;
import static io.pollkit.bindings.sys_mman_h.MAP_POPULATE;
import static io.pollkit.bindings.sys_mman_h.MAP_SHARED;
import static io.pollkit.bindings.sys_mman_h.PROT_READ;
import static io.pollkit.bindings.sys_mman_h.PROT_WRITE;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One io_uring instance: its submission queue (SQ) and completion queue (CQ), mapped from the kernel, used
 * without liburing and without allocating per operation.
 *
 * <p>The rings are shared with the kernel, which the memory model of io_uring(7) orders like this: the program
 * writes the SQ tail and the CQ head with release stores, so that an SQE's contents are visible before the tail
 * that publishes it and a CQE is read before the head that frees its slot; it reads the SQ head and the CQ tail,
 * which the kernel writes, with acquire loads, so that a CQE's contents are read after the tail that announced it.
 * Here these are {@link VarHandle#setRelease} and {@link VarHandle#getAcquire} on the mapped segments.
 *
 * <p>A ring belongs to the platform thread that opened it: every method checks the caller (the ring's state
 * outside the mapping is not shared), and the kernel is told so with IORING_SETUP_SINGLE_ISSUER where it has it
 * (6.0 and later; on an older kernel setup answers EINVAL and the ring is opened without it).
 *
 * <p>A full SQ refuses: {@link #prepare} returns false and writes nothing until {@link #submit} makes room. A full
 * CQ loses nothing on a kernel with IORING_FEAT_NODROP (5.5 and later): the kernel keeps the extra completions,
 * sets IORING_SQ_CQ_OVERFLOW, and {@link #reap} asks for them (io_uring_enter with IORING_ENTER_GETEVENTS) once
 * it has emptied the CQ. {@link #dropped()} counts the completions a kernel without NODROP lost.
 */
public final class Ring implements AutoCloseable {

    // (MemorySegment, long offset) -> int: the ring words, all 4-aligned in the page-aligned mapping.
    private static final VarHandle WORD = JAVA_INT.varHandle();

    private static final long SQE_SIZE = io_uring_sqe.sizeof();
    private static final long CQE_SIZE = io_uring_cqe.sizeof();
    private static final ValueLayout.OfByte SQE_OPCODE = io_uring_sqe.opcode$layout();
    private static final ValueLayout.OfByte SQE_FLAGS = io_uring_sqe.flags$layout();
    private static final ValueLayout.OfInt SQE_FD = io_uring_sqe.fd$layout();
    private static final ValueLayout.OfLong SQE_OFF = io_uring_sqe.off$layout();
    private static final ValueLayout.OfLong SQE_ADDR = io_uring_sqe.addr$layout();
    private static final ValueLayout.OfInt SQE_LEN = io_uring_sqe.len$layout();
    private static final ValueLayout.OfInt SQE_OP_FLAGS = io_uring_sqe.rw_flags$layout();
    private static final ValueLayout.OfLong SQE_USER_DATA = io_uring_sqe.user_data$layout();
    private static final ValueLayout.OfLong CQE_USER_DATA = io_uring_cqe.user_data$layout();
    private static final ValueLayout.OfInt CQE_RES = io_uring_cqe.res$layout();
    private static final ValueLayout.OfInt CQE_FLAGS = io_uring_cqe.flags$layout();

    /**
     * The setup flags for a ring whose thread waits for completions in {@link #submitAndWait} (an event loop):
     * IORING_SETUP_COOP_TASKRUN, so that a completion arriving while the thread runs does not interrupt it (the
     * kernel's default notifies it at once, like a signal; the work runs at its next return from the kernel), and
     * IORING_SETUP_TASKRUN_FLAG, so that {@link #reap} and {@link #submitAndWait} see when such work waits and enter
     * the kernel for it. On W2's http-hello the default cost about 2.5 times the kernel CPU per request of this
     * (bench/profile, the completion server and C's http-hello-uring alike). Dropped on kernels before 5.19.
     */
    public static int eventLoopFlags() {
        return IORING_SETUP_COOP_TASKRUN() | IORING_SETUP_TASKRUN_FLAG();
    }

    /** The setup flags {@link #open(int, int, int)} accepts: those that change nothing in how the rings are used. */
    public static final int SUPPORTED_FLAGS = IORING_SETUP_CQSIZE() | IORING_SETUP_CLAMP() | IORING_SETUP_SUBMIT_ALL()
            | IORING_SETUP_COOP_TASKRUN() | IORING_SETUP_TASKRUN_FLAG();

    private final Thread owner;
    private final int fd;
    private final int setupFlags;
    private final int features;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;     // the same mapping as sqRing with IORING_FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqHead, sqTail, sqFlags;
    private final long cqHead, cqTail, cqOverflow, cqes;
    private final int sqMask, sqEntries, cqMask, cqEntries;
    private final int needsFlush;
    private int sqeTail;                    // SQEs prepared; published to the kernel by submit
    private boolean closed;

    private Ring(int fd, MemorySegment p, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        this.owner = Thread.currentThread();
        this.fd = fd;
        this.setupFlags = io_uring_params.flags(p);
        this.features = io_uring_params.features(p);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        MemorySegment sq = io_uring_params.sq_off(p), cq = io_uring_params.cq_off(p);
        this.sqHead = Integer.toUnsignedLong(io_sqring_offsets.head(sq));
        this.sqTail = Integer.toUnsignedLong(io_sqring_offsets.tail(sq));
        this.sqFlags = Integer.toUnsignedLong(io_sqring_offsets.flags(sq));
        this.cqHead = Integer.toUnsignedLong(io_cqring_offsets.head(cq));
        this.cqTail = Integer.toUnsignedLong(io_cqring_offsets.tail(cq));
        this.cqOverflow = Integer.toUnsignedLong(io_cqring_offsets.overflow(cq));
        this.cqes = Integer.toUnsignedLong(io_cqring_offsets.cqes(cq));
        this.sqMask = sqRing.get(JAVA_INT, io_sqring_offsets.ring_mask(sq));
        this.sqEntries = sqRing.get(JAVA_INT, io_sqring_offsets.ring_entries(sq));
        this.cqMask = cqRing.get(JAVA_INT, io_cqring_offsets.ring_mask(cq));
        this.cqEntries = cqRing.get(JAVA_INT, io_cqring_offsets.ring_entries(cq));
        this.needsFlush = IORING_SQ_CQ_OVERFLOW() | IORING_SQ_TASKRUN();
        // The SQ's index array maps ring slots to SQEs; the identity, set once, lets slot i use SQE i.
        long array = Integer.toUnsignedLong(io_sqring_offsets.array(sq));
        for (int i = 0; i < sqEntries; i++) sqRing.set(JAVA_INT, array + 4L * i, i);
        this.sqeTail = (int) WORD.get(sqRing, sqTail);
    }

    /** {@link #open(int, int, int)} with the kernel's CQ size (twice the SQ's) and no flags. */
    public static Ring open(int entries) throws ErrnoException {
        return open(entries, 0, 0);
    }

    /**
     * Sets up a ring of {@code entries} SQEs (the kernel rounds up to a power of two) and maps it. With
     * IORING_SETUP_CQSIZE in {@code flags}, the CQ has {@code cqEntries}; {@code flags} may hold only
     * {@link #SUPPORTED_FLAGS}. IllegalStateException on a virtual thread: the kernel ties a single-issuer ring to
     * the OS thread that submits, which a virtual thread may change.
     */
    public static Ring open(int entries, int cqEntries, int flags) throws ErrnoException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("an io_uring ring belongs to one platform thread; this is a virtual thread");
        }
        if ((flags & ~SUPPORTED_FLAGS) != 0) {
            throw new IllegalArgumentException("unsupported io_uring setup flags 0x" + Integer.toHexString(flags & ~SUPPORTED_FLAGS));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = io_uring_params.allocate(arena);
            // SINGLE_ISSUER is 6.0, COOP_TASKRUN 5.19: an older kernel answers EINVAL, and the ring is opened without
            // them (task work then interrupts the thread, which costs time but changes nothing in how it is used).
            int[] tries = {flags | IORING_SETUP_SINGLE_ISSUER(), flags, flags & ~eventLoopFlags()};
            int fd = -1;
            for (int i = 0; fd < 0; i++) {
                try {
                    fd = setup(entries, cqEntries, tries[i], p);
                } catch (ErrnoException e) {
                    if (e.errno() != EINVAL() || i == tries.length - 1) throw e;
                }
            }
            try {
                return map(fd, p);
            } catch (ErrnoException | RuntimeException e) {
                Unistd.closeQuietly(fd);
                throw e;
            }
        }
    }

    private static int setup(int entries, int cqEntries, int flags, MemorySegment p) throws ErrnoException {
        p.fill((byte) 0);
        io_uring_params.flags(p, flags);
        io_uring_params.cq_entries(p, cqEntries);
        return IoUring.io_uring_setup(entries, p);
    }

    private static Ring map(int fd, MemorySegment p) throws ErrnoException {
        MemorySegment sq = io_uring_params.sq_off(p), cq = io_uring_params.cq_off(p);
        int sqEntries = io_uring_params.sq_entries(p), cqEntries = io_uring_params.cq_entries(p);
        long sqSize = Integer.toUnsignedLong(io_sqring_offsets.array(sq)) + 4L * sqEntries;
        long cqSize = Integer.toUnsignedLong(io_cqring_offsets.cqes(cq)) + CQE_SIZE * cqEntries;
        int prot = PROT_READ() | PROT_WRITE(), share = MAP_SHARED() | MAP_POPULATE();
        MemorySegment sqRing = null, cqRing = null;
        try {
            if ((io_uring_params.features(p) & IORING_FEAT_SINGLE_MMAP()) != 0) {
                // One mapping holds both rings (5.4 and later): it must be as large as the larger of the two.
                sqRing = cqRing = Mman.mmap(Math.max(sqSize, cqSize), prot, share, fd, IORING_OFF_SQ_RING());
            } else {
                sqRing = Mman.mmap(sqSize, prot, share, fd, IORING_OFF_SQ_RING());
                cqRing = Mman.mmap(cqSize, prot, share, fd, IORING_OFF_CQ_RING());
            }
            MemorySegment sqes = Mman.mmap(SQE_SIZE * sqEntries, prot, share, fd, IORING_OFF_SQES());
            return new Ring(fd, p, sqRing, cqRing, sqes);
        } catch (ErrnoException | RuntimeException e) {
            unmapQuietly(sqRing);
            if (cqRing != sqRing) unmapQuietly(cqRing);
            throw e;
        }
    }

    /**
     * Prepares the next SQE: {@code opcode} (IORING_OP_*) on {@code fd}, with {@code addr}, {@code len},
     * {@code off} and the opcode's flags word ({@code rw_flags}, {@code poll32_events}, {@code msg_flags}... share
     * it), and {@code userData}, which its completion carries back. Every other field is zero. False when the SQ
     * is full: nothing is written, and {@link #submit} makes room. The SQE goes to the kernel at the next submit.
     */
    public boolean prepare(int opcode, int fd, long addr, int len, long off, int opFlags, long userData) {
        checkOwner();
        int head = (int) WORD.getAcquire(sqRing, sqHead);
        if (sqeTail - head >= sqEntries) return false;
        long base = (sqeTail & sqMask) * SQE_SIZE;
        for (long i = 0; i < SQE_SIZE; i += 8) sqes.set(JAVA_LONG, base + i, 0L);
        sqes.set(SQE_OPCODE, base + io_uring_sqe.opcode$offset(), (byte) opcode);
        sqes.set(SQE_FLAGS, base + io_uring_sqe.flags$offset(), (byte) 0);
        sqes.set(SQE_FD, base + io_uring_sqe.fd$offset(), fd);
        sqes.set(SQE_OFF, base + io_uring_sqe.off$offset(), off);
        sqes.set(SQE_ADDR, base + io_uring_sqe.addr$offset(), addr);
        sqes.set(SQE_LEN, base + io_uring_sqe.len$offset(), len);
        sqes.set(SQE_OP_FLAGS, base + io_uring_sqe.rw_flags$offset(), opFlags);
        sqes.set(SQE_USER_DATA, base + io_uring_sqe.user_data$offset(), userData);
        sqeTail++;
        return true;
    }

    /** Prepares an IORING_OP_NOP carrying {@code userData}; false when the SQ is full. */
    public boolean prepareNop(long userData) {
        return prepare(IORING_OP_NOP(), -1, 0, 0, 0, 0, userData);
    }

    /** SQEs prepared and not yet consumed by the kernel. */
    public int pending() {
        checkOwner();
        return sqeTail - (int) WORD.getAcquire(sqRing, sqHead);
    }

    /**
     * Hands every prepared SQE to the kernel (one io_uring_enter, none when there is nothing to do): the number
     * the kernel consumed, or {@link Results#INTERRUPTED} when a signal came first (they stay queued for the next
     * call). ErrnoException EAGAIN or EBUSY means the kernel is short of resources or completions wait to be
     * reaped: reap, then submit again.
     */
    public int submit() throws ErrnoException {
        return submitAndWait(0);
    }

    /**
     * {@link #submit}, then lets the kernel run this thread's pending io_uring work (IORING_ENTER_GETEVENTS with
     * min_complete 0, which does not wait): with COOP_TASKRUN a plain submit leaves a cancelled request's completion,
     * and the file reference it holds, for the next wait; after this they are done.
     */
    public int submitAndSettle() throws ErrnoException {
        checkOwner();
        WORD.setRelease(sqRing, sqTail, sqeTail);
        int toSubmit = sqeTail - (int) WORD.getAcquire(sqRing, sqHead);
        return IoUring.io_uring_enter(fd, toSubmit, 0, IORING_ENTER_GETEVENTS());
    }

    /**
     * {@link #submit}, then waits until at least {@code waitNr} completions are in the CQ (0: no waiting), with
     * one io_uring_enter.
     */
    public int submitAndWait(int waitNr) throws ErrnoException {
        checkOwner();
        // Release: the SQEs written by prepare are visible to the kernel before the tail that publishes them.
        WORD.setRelease(sqRing, sqTail, sqeTail);
        int toSubmit = sqeTail - (int) WORD.getAcquire(sqRing, sqHead);
        int flags = waitNr > 0 || cqNeedsFlush() ? IORING_ENTER_GETEVENTS() : 0;
        if (toSubmit == 0 && flags == 0) return 0;
        return IoUring.io_uring_enter(fd, toSubmit, waitNr, flags);
    }

    /**
     * Gives every completion in the CQ to {@code sink}, oldest first, then frees their slots; when the kernel has
     * kept completions back because the CQ was full (IORING_SQ_CQ_OVERFLOW), asks for them and goes on. Does not
     * wait. The number of completions delivered.
     */
    public int reap(Completion sink) throws ErrnoException {
        checkOwner();
        int n = 0;
        for (;;) {
            n += drain(sink);
            if (!cqNeedsFlush()) return n;
            // The overflowed completions move into the CQ only on an enter with GETEVENTS; without one they
            // would wait until the next submit that waits.
            int r = IoUring.io_uring_enter(fd, 0, 0, IORING_ENTER_GETEVENTS());
            if (r == Results.INTERRUPTED) return n;
            if ((int) WORD.getAcquire(cqRing, cqTail) == (int) WORD.get(cqRing, cqHead)) return n;
        }
    }

    private int drain(Completion sink) {
        int head = (int) WORD.get(cqRing, cqHead);       // only this thread writes it
        int tail = (int) WORD.getAcquire(cqRing, cqTail); // acquire: the CQEs up to tail are written
        int start = head;
        try {
            while (head != tail) {
                long base = cqes + (head & cqMask) * CQE_SIZE;
                long userData = cqRing.get(CQE_USER_DATA, base + io_uring_cqe.user_data$offset());
                int res = cqRing.get(CQE_RES, base + io_uring_cqe.res$offset());
                int flags = cqRing.get(CQE_FLAGS, base + io_uring_cqe.flags$offset());
                head++;
                sink.complete(userData, res, flags);
            }
        } finally {
            // Release: the CQEs are read before the kernel may reuse their slots.
            if (head != start) WORD.setRelease(cqRing, cqHead, head);
        }
        return head - start;
    }

    private boolean cqNeedsFlush() {
        return ((int) WORD.getAcquire(sqRing, sqFlags) & needsFlush) != 0;
    }

    /** Completions waiting in the CQ (not counting any the kernel holds back on overflow). */
    public int ready() {
        checkOwner();
        return (int) WORD.getAcquire(cqRing, cqTail) - (int) WORD.get(cqRing, cqHead);
    }

    /** The completions the kernel could not keep when the CQ was full (always 0 with IORING_FEAT_NODROP). */
    public int dropped() {
        checkOwner();
        return (int) WORD.getAcquire(cqRing, cqOverflow);
    }

    /** The ring's fd. */
    public int fd() {
        return fd;
    }

    /** The SQ's size: at most this many SQEs are prepared and not yet consumed. */
    public int sqEntries() {
        return sqEntries;
    }

    /** The CQ's size. */
    public int cqEntries() {
        return cqEntries;
    }

    /** The IORING_FEAT_* bits the kernel reported. */
    public int features() {
        return features;
    }

    /** The IORING_SETUP_* flags the ring was set up with, IORING_SETUP_SINGLE_ISSUER included when it took. */
    public int setupFlags() {
        return setupFlags;
    }

    /** Whether both rings share one mapping (IORING_FEAT_SINGLE_MMAP). */
    public boolean singleMapping() {
        return sqRing == cqRing;
    }

    /**
     * Unmaps the rings and closes the fd; in-flight operations are cancelled by the kernel. Idempotent. Another
     * thread may close a ring its owner has stopped using (the kernel ties submitting, not closing, to a thread):
     * an event loop's poller is closed by the thread that joined the loop's.
     */
    @Override
    public synchronized void close() throws ErrnoException {
        if (closed) return;
        closed = true;
        unmapQuietly(sqes);
        unmapQuietly(sqRing);
        if (cqRing != sqRing) unmapQuietly(cqRing);
        Unistd.close(fd);
    }

    private void checkOwner() {
        checkThread();
        if (closed) throw new IllegalStateException("the io_uring ring is closed");
    }

    /** Whether the calling thread is the ring's owner, the one thread that may submit to it. */
    public boolean isOwnedByCurrentThread() {
        return Thread.currentThread() == owner;
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("the io_uring ring (fd " + fd + ") belongs to thread " + owner.getName()
                    + ", not " + Thread.currentThread().getName());
        }
    }

    // ------------------------------------------------------------------ the completion model's SQEs
    // Multishot accept and recv, provided buffers, sends, timeouts and cancellation: the fields the plain
    // prepare leaves zero (ioprio, the SQE flags, buf_group) are written into the SQE it has just filled.

    private static final ValueLayout.OfShort SQE_IOPRIO = io_uring_sqe.ioprio$layout();
    private static final ValueLayout.OfShort SQE_BUF_INDEX = io_uring_sqe.buf_index$layout();
    private static final int OP_ACCEPT = io.pollkit.bindings.io_uring_h.IORING_OP_ACCEPT();
    private static final int OP_RECV = io.pollkit.bindings.io_uring_h.IORING_OP_RECV();
    private static final int OP_SEND = io.pollkit.bindings.io_uring_h.IORING_OP_SEND();
    private static final int OP_TIMEOUT = io.pollkit.bindings.io_uring_h.IORING_OP_TIMEOUT();
    private static final int OP_ASYNC_CANCEL = io.pollkit.bindings.io_uring_h.IORING_OP_ASYNC_CANCEL();
    private static final int ACCEPT_MULTISHOT = io.pollkit.bindings.io_uring_h.IORING_ACCEPT_MULTISHOT();
    private static final int RECV_MULTISHOT = io.pollkit.bindings.io_uring_h.IORING_RECV_MULTISHOT();
    private static final int BUFFER_SELECT = io.pollkit.bindings.io_uring_h.IOSQE_BUFFER_SELECT();

    /**
     * {@link #prepare(int, int, long, int, long, int, long)} with {@code ioprio} (where accept and recv take
     * IORING_ACCEPT_MULTISHOT and IORING_RECV_MULTISHOT), the SQE's {@code sqeFlags} (IOSQE_*) and
     * {@code bufGroup} (the provided-buffer group an IOSQE_BUFFER_SELECT request picks from). False when the SQ is full.
     */
    public boolean prepare(int opcode, int fd, long addr, int len, long off, int opFlags, int ioprio, int sqeFlags,
                           int bufGroup, long userData) {
        if (!prepare(opcode, fd, addr, len, off, opFlags, userData)) return false;
        long base = ((sqeTail - 1) & sqMask) * SQE_SIZE;
        sqes.set(SQE_IOPRIO, base + io_uring_sqe.ioprio$offset(), (short) ioprio);
        sqes.set(SQE_FLAGS, base + io_uring_sqe.flags$offset(), (byte) sqeFlags);
        sqes.set(SQE_BUF_INDEX, base + io_uring_sqe.buf_index$offset(), (short) bufGroup);
        return true;
    }

    /**
     * A multishot accept on listening socket {@code fd} (5.19 and later): one CQE per connection, its {@code res}
     * the new fd (accept4's {@code flags} applied) or -errno, with IORING_CQE_F_MORE while it stays armed.
     */
    public boolean prepareAcceptMultishot(int fd, int flags, long userData) {
        return prepare(OP_ACCEPT, fd, 0, 0, 0, flags, ACCEPT_MULTISHOT, 0, 0, userData);
    }

    /**
     * A multishot recv on {@code fd} into buffers of group {@code bufGroup} (6.0 and later): one CQE per read, its
     * buffer in the flags (IORING_CQE_F_BUFFER, {@link BufferRing#bufferId}), IORING_CQE_F_MORE while it stays
     * armed; {@code res} 0 is the peer's end of stream, -ENOBUFS the group ran dry (the recv is then disarmed).
     */
    public boolean prepareRecvMultishot(int fd, int bufGroup, long userData) {
        return prepare(OP_RECV, fd, 0, 0, 0, 0, RECV_MULTISHOT, BUFFER_SELECT, bufGroup, userData);
    }

    /**
     * A send of {@code length} bytes of {@code data} from {@code offset} on {@code fd} with {@code msgFlags}. The
     * bytes must stay put until its completion: the kernel may read them as late as that.
     */
    public boolean prepareSend(int fd, MemorySegment data, long offset, int length, int msgFlags, long userData) {
        java.util.Objects.checkFromIndexSize(offset, length, data.byteSize());
        if (!data.isNative()) throw new IllegalArgumentException("send: the data must be a native segment");
        return prepare(OP_SEND, fd, data.address() + offset, length, 0, msgFlags, userData);
    }

    /**
     * A timeout: completes with -ETIME after the {@code __kernel_timespec} at {@code timespec} (the kernel reads it
     * when the SQE is submitted, so it may be reused after the submit), or with 0 once {@code count} other
     * completions have come (0: only the time counts). {@code flags}: IORING_TIMEOUT_*.
     */
    public boolean prepareTimeout(MemorySegment timespec, int count, int flags, long userData) {
        if (!timespec.isNative() || timespec.byteSize() < io.pollkit.bindings.__kernel_timespec.sizeof()) {
            throw new IllegalArgumentException("timeout: a native __kernel_timespec is needed");
        }
        return prepare(OP_TIMEOUT, -1, timespec.address(), 1, count, flags, userData);
    }

    /**
     * Cancels the request submitted with {@code target} as its user_data: that request completes with -ECANCELED
     * (a multishot one ends); this one with 0, -ENOENT when none was found, -EALREADY when it was already running.
     */
    public boolean prepareCancel(long target, long userData) {
        return prepare(OP_ASYNC_CANCEL, -1, target, 0, 0, 0, userData);
    }

    private static void unmapQuietly(MemorySegment mapping) {
        if (mapping == null) return;
        try {
            Mman.munmap(mapping);
        } catch (ErrnoException e) {
            // The mapping came from mmap with this size: munmap cannot fail on it short of a kernel bug.
        }
    }

    // ---- Timed waits, SQE flags, poll requests and the probe: what the readiness backend (IoUringPoller) needs ----

    private static final long ARG_SIZE = io_uring_getevents_arg.sizeof();
    private MemorySegment waitArg, waitTs;   // io_uring_getevents_arg and its __kernel_timespec: taken at the first timed wait

    /** Whether the kernel bounds a wait itself, io_uring_enter with IORING_ENTER_EXT_ARG (IORING_FEAT_EXT_ARG, 5.11). */
    public boolean hasExtArg() {
        return (features & IORING_FEAT_EXT_ARG()) != 0;
    }

    /**
     * {@link #submitAndWait(int)} that waits at most {@code timeoutNanos} (negative: no limit): one io_uring_enter
     * with IORING_ENTER_EXT_ARG and an {@code io_uring_getevents_arg} whose {@code ts} is the timeout. A kernel
     * without it ({@link #hasExtArg()} false, before 5.11) gets what liburing gives it: an IORING_OP_TIMEOUT SQE
     * (relative, completing after {@code waitNr} other completions or the time) submitted with the rest, whose
     * CQE carries {@code timeoutUserData} (res -ETIME, or 0 when the completions came first): the caller
     * recognises and skips it. Not a linked timeout (IORING_OP_LINK_TIMEOUT): that bounds one SQE, not the wait.
     * The number submitted (the timeout SQE not counted), or {@link Results#INTERRUPTED}; a wait that ran out of
     * time is no error.
     */
    public int submitAndWait(int waitNr, long timeoutNanos, long timeoutUserData) throws ErrnoException {
        checkOwner();
        if (timeoutNanos < 0 || waitNr <= 0) return submitAndWait(waitNr);
        MemorySegment arg = waitArg(), ts = waitTs;
        __kernel_timespec.tv_sec(ts, timeoutNanos / 1_000_000_000L);
        __kernel_timespec.tv_nsec(ts, timeoutNanos % 1_000_000_000L);
        if (!hasExtArg()) return submitAndWaitByTimeoutSqe(waitNr, timeoutNanos, timeoutUserData);
        io_uring_getevents_arg.ts(arg, ts.address());
        WORD.setRelease(sqRing, sqTail, sqeTail);
        int toSubmit = sqeTail - (int) WORD.getAcquire(sqRing, sqHead);
        return IoUring.io_uring_enter(fd, toSubmit, waitNr, IORING_ENTER_GETEVENTS() | IORING_ENTER_EXT_ARG(), arg, ARG_SIZE);
    }

    /**
     * The timed wait of a kernel without IORING_FEAT_EXT_ARG, which {@link #submitAndWait(int, long, long)} falls
     * back to (public so that it is tested where the kernel has EXT_ARG too): an IORING_OP_TIMEOUT SQE, relative,
     * with {@code off} = {@code waitNr} so that it completes as soon as that many other completions came and never
     * outlives the wait, then {@link #submitAndWait(int)}. Its CQE carries {@code timeoutUserData}.
     */
    public int submitAndWaitByTimeoutSqe(int waitNr, long timeoutNanos, long timeoutUserData) throws ErrnoException {
        checkOwner();
        if (timeoutNanos < 0 || waitNr <= 0) return submitAndWait(waitNr);
        waitArg();
        MemorySegment ts = waitTs;
        __kernel_timespec.tv_sec(ts, timeoutNanos / 1_000_000_000L);
        __kernel_timespec.tv_nsec(ts, timeoutNanos % 1_000_000_000L);
        // The kernel reads the timespec when it consumes the SQE, during the submit below.
        while (!prepare(IORING_OP_TIMEOUT(), -1, ts.address(), 1, waitNr, 0, timeoutUserData)) {
            if (submit() == Results.INTERRUPTED) continue;   // a full SQ: hand it over first
        }
        int r = submitAndWait(waitNr);
        return r > 0 ? r - 1 : r;
    }

    private MemorySegment waitArg() {
        if (waitArg == null) {
            // Once per ring, reused for every wait: the kernel copies both structs during the call.
            waitArg = Arena.ofAuto().allocate(ARG_SIZE + __kernel_timespec.sizeof(), 8);
            waitTs = waitArg.asSlice(ARG_SIZE, __kernel_timespec.sizeof());
        }
        return waitArg;
    }

    /**
     * IORING_OP_POLL_ADD of {@code fd} for {@code pollEvents} (POLLIN, POLLOUT, ...: the SQE's {@code poll32_events},
     * the word {@code rw_flags} shares; the kernel adds POLLERR, POLLHUP and POLLRDHUP itself). One-shot: one CQE,
     * then the request is gone; {@code multishot} (IORING_POLL_ADD_MULTI in {@code len}, 5.13): a CQE with
     * IORING_CQE_F_MORE on each wakeup that finds the fd ready, until removed or a CQE without F_MORE. A CQE's
     * {@code res} is the ready mask, or -errno. False when the SQ is full.
     */
    public boolean preparePollAdd(int fd, int pollEvents, boolean multishot, long userData) {
        return prepare(IORING_OP_POLL_ADD(), fd, 0, multishot ? IORING_POLL_ADD_MULTI() : 0, 0, pollEvents, userData);
    }

    /**
     * IORING_OP_POLL_REMOVE of the poll request whose user_data is {@code target}: it completes with -ECANCELED,
     * and this request's own CQE says 0, or -ENOENT when the target had completed already. False when the SQ is full.
     */
    public boolean preparePollRemove(long target, long userData) {
        return prepare(IORING_OP_POLL_REMOVE(), -1, target, 0, 0, 0, userData);
    }

    /**
     * IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS and IORING_POLL_UPDATE_USER_DATA (5.13): the poll
     * request {@code target} watches {@code pollEvents} from now on, its CQEs carry {@code newUserData}, and it is
     * armed again (the kernel checks the fd's readiness at once, as a new request does). One-shot stays one-shot
     * and multishot multishot ({@code multishot} must say which). This request's CQE says 0, or -ENOENT when the
     * target had completed already (then it was not changed). False when the SQ is full.
     */
    public boolean preparePollUpdate(long target, long newUserData, int pollEvents, boolean multishot, long userData) {
        int flags = IORING_POLL_UPDATE_EVENTS() | IORING_POLL_UPDATE_USER_DATA() | (multishot ? IORING_POLL_ADD_MULTI() : 0);
        return prepare(IORING_OP_POLL_REMOVE(), -1, target, flags, newUserData, pollEvents, userData);
    }

    /** The IORING_OP_* the ring's kernel supports (IORING_REGISTER_PROBE); EINVAL before 5.6. */
    public BitSet supportedOpcodes() throws ErrnoException {
        checkOwner();
        return Probe.opcodes(fd);
    }
}
