package io.pollkit.server;

import io.pollkit.bindings.__kernel_timespec;
import io.pollkit.loop.AcceptError;
import io.pollkit.loop.Acceptor;
import io.pollkit.loop.Timers;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.EventFd;
import io.pollkit.sys.SockAddr;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.uring.BufferRing;
import io.pollkit.uring.Completion;
import io.pollkit.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;

import static io.pollkit.bindings.errno_h.EAGAIN;
import static io.pollkit.bindings.errno_h.EBUSY;
import static io.pollkit.bindings.errno_h.EMFILE;
import static io.pollkit.bindings.errno_h.ENFILE;
import static io.pollkit.bindings.errno_h.ETIME;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;
import static io.pollkit.bindings.io_uring_h.IORING_OP_READ;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CLAMP;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CQSIZE;
import static io.pollkit.bindings.sys_epoll_h.EFD_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SHUT_RDWR;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;

/**
 * What the io_uring completion servers share: one ring driven by completions, where the kernel does the I/O and
 * the loop handles what has completed, on one thread ({@code --loops} is the readiness model's). A multishot accept
 * takes every connection; each connection has one multishot recv into a provided buffer ring and at most one send in
 * flight; timers are the loop's {@link Timers}, waited for with an IORING_OP_TIMEOUT; a stop from another thread (a
 * signal) is an eventfd read that completes.
 *
 * <p>One turn of the loop: handle the completions in the CQ (a read goes to the connection's {@link Session} and its
 * buffer straight back to the ring), run the due timers, queue a send for every connection that has output and none
 * in flight, re-arm what ended (a recv that ran out of buffers, ENOBUFS; an accept after EMFILE's pause), give the
 * used buffers back, and then one io_uring_enter that submits all of it and waits for the next completion or timer.
 *
 * <p>The behaviour and limits are the readiness servers' ({@link LoopServer}): {@code --max-clients} (a subclass may
 * answer a client over it, {@link #refuse}), {@code --max-queued} bytes waiting for a client that does not read
 * (the send in flight counted), the same log lines, EMFILE pausing accepts for 100 ms, a broken listener ending the
 * server. A request's bytes and the responses live in native buffers made at start or reused from a pool: nothing is
 * allocated per request.
 */
public abstract class UringServer implements Server {
    // user_data: the operation in the top byte, then the connection slot's generation and the slot.
    static final long ACCEPT = 1, RECV = 2, SEND = 3, CANCEL = 4, TIMEOUT = 5, WAKE = 6;
    private static final int KIND_SHIFT = 56, GEN_SHIFT = 32;

    static final long ACCEPT_PAUSE_MILLIS = 100;
    private static final int SQ_ENTRIES = 1024, CQ_ENTRIES = 16384;
    /** The provided buffers: a recv completes into one; 512 of 16 KiB (8 MiB) serve hundreds of busy clients. */
    static final int BUFFERS = 512, BUFFER_SIZE = 16 * 1024, BUFFER_GROUP = 0;
    /** The output buffers of the pool: one holds the responses of a turn of a keep-alive client. */
    static final int OUT_BUFFER_SIZE = 16 * 1024;

    protected final ServerOptions options;
    protected final Timers timers;
    private final int bufferCount, bufferSize;
    private final int listener;
    private final InetSocketAddress address;
    private final int wakeFd;
    private final MemorySegment wakeBuf = Arena.ofAuto().allocate(8);   // shared with stop() on other threads
    private final int maxClients;
    private volatile boolean stopped;
    private boolean closed, running;
    private long nextId = 1;
    private IOException listenerFailure;

    // The loop's thread only, from run() on.
    private Ring ring;
    private BufferRing buffers;
    private Arena arena;
    private final ArrayDeque<MemorySegment> pool = new ArrayDeque<>();   // free output buffers of OUT_BUFFER_SIZE
    private UringConnection[] slots = new UringConnection[64];
    private int[] generations = new int[64];
    private int[] freeSlots = new int[64];   // a stack of released slots: ints, not boxed Integers
    private int freeSlotCount;
    private int slotsUsed, clients;
    private UringConnection[] dirty = new UringConnection[64];
    private int dirtyCount;
    private boolean acceptArmed, acceptPaused, acceptPauseLogged;
    private MemorySegment timespec;
    private boolean timeoutArmed;
    private long timeoutDue, timeoutSeq;
    private final Completion onCompletion = this::complete;

    protected UringServer(ServerOptions options) throws IOException {
        this(options, BUFFERS, BUFFER_SIZE);
    }

    /** With {@code bufferCount} provided buffers of {@code bufferSize} bytes (tests run them short). */
    UringServer(ServerOptions options, int bufferCount, int bufferSize) throws IOException {
        if (options.loops() != 1) {
            throw new IllegalArgumentException("the io_uring completion server runs one loop, not " + options.loops());
        }
        this.options = options;
        this.bufferCount = bufferCount;
        this.bufferSize = bufferSize;
        this.timers = new Timers(options.log());
        this.maxClients = options.maxClients() == ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT
                ? FdLimit.maxClients(FdLimit.soft(), options.backend()) : options.maxClients();
        // Blocking sockets: the kernel waits for them itself (armed poll), where a non-blocking one may complete
        // a request with EAGAIN for the program to retry.
        this.listener = Acceptor.listeningSocket(options.bind(), options.port(), Sockets.CLOEXEC);
        try {
            this.address = (InetSocketAddress) Sockets.getsockname(listener);
            this.wakeFd = EventFd.eventfd(0, EFD_CLOEXEC());
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(listener);
            throw e;
        }
    }

    /** The protocol for client {@code id}. */
    protected abstract Session sessionFor(long id);

    /** A client over the limit is about to be closed: a server may answer it first (http: 503). */
    protected void refuse(int fd) {}

    @Override
    public String hostPort() {
        return SockAddr.format(address);
    }

    @Override
    public int port() {
        return address.getPort();
    }

    @Override
    public int clientCount() {
        return clients;
    }

    @Override
    public int maxClients() {
        return maxClients;
    }

    @Override
    public void run() throws IOException {
        synchronized (this) {
            if (closed) throw new IllegalStateException("the server is closed");
            running = true;
        }
        try (Arena a = Arena.ofConfined()) {
            arena = a;
            timespec = a.allocate(__kernel_timespec.layout());
            ring = Ring.open(SQ_ENTRIES, CQ_ENTRIES, IORING_SETUP_CQSIZE() | IORING_SETUP_CLAMP() | Ring.eventLoopFlags());
            try {
                buffers = BufferRing.register(ring, BUFFER_GROUP, bufferCount, bufferSize);
                options.out().println("listening on " + hostPort() + " backend=io_uring model=completion");
                options.out().flush();
                armAccept();
                armWake();
                loop();
            } finally {
                closeAll();
            }
        }
        if (listenerFailure != null) throw listenerFailure;
    }

    private void loop() throws IOException {
        while (!stopped) {
            ring.reap(onCompletion);
            timers.runDue();
            if (stopped) break;
            flushDirty();
            if (!acceptArmed && !acceptPaused) armAccept();
            buffers.publish();
            long wait = timers.millisToNext();
            if (wait > 0) armTimeout(wait);
            try {
                ring.submitAndWait(wait == 0 || ring.ready() > 0 ? 0 : 1);
            } catch (ErrnoException e) {
                // The CQ is full or the kernel short of memory for a moment: reap, then submit again.
                if (e.errno() != EBUSY() && e.errno() != EAGAIN()) throw e;
            }
        }
    }

    // ------------------------------------------------------------------ completions

    private void complete(long userData, int res, int flags) {
        int kind = (int) (userData >>> KIND_SHIFT);
        if (kind == RECV || kind == SEND || kind == CANCEL) {
            int slot = (int) userData;
            int gen = (int) (userData >>> GEN_SHIFT) & 0xffffff;
            UringConnection c = slot < slots.length && (generations[slot] & 0xffffff) == gen ? slots[slot] : null;
            if (c == null) {
                // A connection's slot is kept until its last request completes, so this does not happen; a buffer
                // must go back all the same.
                if (BufferRing.hasBuffer(flags)) buffers.recycle(BufferRing.bufferId(flags));
                return;
            }
            if (kind == RECV) c.received(res, flags);
            else if (kind == SEND) c.sent(res);
            else c.cancelled();
            if (c.isFinished()) release(c);
        } else if (kind == ACCEPT) {
            if ((flags & IORING_CQE_F_MORE()) == 0) acceptArmed = false;
            accepted(res);
        } else if (kind == TIMEOUT) {
            if ((userData & 0xffffffffL) == (timeoutSeq & 0xffffffffL)) timeoutArmed = false;
            if (res != -ETIME() && res != 0) options.log().println("io_uring timeout: " + new ErrnoException("timeout", -res).getMessage());
        } else if (kind == WAKE) {
            if (!stopped) armWake();
        }
    }

    private void accepted(int res) {
        if (res < 0) {
            ErrnoException e = new ErrnoException("accept4(fd=" + listener + ")", -res);
            AcceptError kind = AcceptError.of(-res);
            if (kind == AcceptError.CONNECTION_FAILED) {
                options.log().println(e.getMessage() + "; that connection is dropped, accepting the next one");
            } else if (kind == AcceptError.OUT_OF_RESOURCES) {
                if (!acceptPauseLogged) {
                    String until = -res == EMFILE() || -res == ENFILE() ? "fds are free" : "it passes";
                    options.log().println(e.getMessage() + "; pausing accepts for " + ACCEPT_PAUSE_MILLIS + " ms at a time until " + until);
                }
                acceptPauseLogged = true;
                acceptPaused = true;
                timers.schedule(ACCEPT_PAUSE_MILLIS, () -> acceptPaused = false);
            } else {
                listenerFailure = AcceptError.listenerBroken(e);
                stopped = true;
            }
            return;
        }
        acceptPauseLogged = false;
        int fd = res;
        NoDelay.set(fd);
        long id = nextId++;
        if (clients >= maxClients) {
            refuse(fd);
            Refusal.drainAndClose(fd, scratch(), options.log(), id, clients, maxClients);
            return;
        }
        int slot = freeSlotCount == 0 ? slotsUsed++ : freeSlots[--freeSlotCount];
        if (slot >= slots.length) {
            slots = Arrays.copyOf(slots, slots.length * 2);
            generations = Arrays.copyOf(generations, slots.length);
        }
        int gen = generations[slot] = (generations[slot] + 1) & 0xffffff;
        Session session = sessionFor(id);
        UringConnection c = new UringConnection(this, fd, id, slot, gen, session, options.maxQueued());
        slots[slot] = c;
        clients++;
        options.log().println("client " + id + " connected");
        c.armRecv();
        session.opened(c);
    }

    private MemorySegment scratchBuffer;

    /** A buffer to read a refused client's bytes into and drop them. */
    private MemorySegment scratch() {
        if (scratchBuffer == null) scratchBuffer = arena.allocate(OUT_BUFFER_SIZE);
        return scratchBuffer;
    }

    // ------------------------------------------------------------------ for the connections

    static long userData(long kind, int gen, int slot) {
        return kind << KIND_SHIFT | (long) gen << GEN_SHIFT | slot;
    }

    // An SQE for a connection: when the SQ is full, what is in it goes to the kernel first. A failed submit there
    // (the kernel out of memory) ends the server: a request lost would leave a connection hanging.

    void prepareRecv(int fd, long userData) {
        while (!ring.prepareRecvMultishot(fd, BUFFER_GROUP, userData)) makeRoom();
    }

    void prepareSend(int fd, MemorySegment data, long offset, int length, int msgFlags, long userData) {
        while (!ring.prepareSend(fd, data, offset, length, msgFlags, userData)) makeRoom();
    }

    void prepareCancel(long target, long userData) {
        while (!ring.prepareCancel(target, userData)) makeRoom();
    }

    /**
     * Hands the prepared SQEs to the kernel before a client's fd is closed. The kernel takes an SQE's file when it
     * issues it, at submission, and until then the SQE names only a number: the multishot accept installs new
     * clients' fds whenever this thread's task work runs, which can be on the way out of the close(2) itself, so a
     * send prepared for the closed client would go to the new one that got its number (the chaos test's echo client
     * once received another client's bytes).
     */
    void submitBeforeClose() {
        if (ring.pending() > 0) makeRoom();
    }

    private void makeRoom() {
        try {
            ring.submit();
        } catch (ErrnoException e) {
            throw new IllegalStateException("io_uring: " + e.getMessage() + "; the server cannot go on", e);
        }
    }

    BufferRing buffers() {
        return buffers;
    }

    /** The connection has output to send or a recv to re-arm: done at the end of this turn, batched. */
    void markDirty(UringConnection c) {
        if (dirtyCount == dirty.length) dirty = Arrays.copyOf(dirty, dirty.length * 2);
        dirty[dirtyCount++] = c;
    }

    private void flushDirty() {
        for (int i = 0; i < dirtyCount; i++) {
            UringConnection c = dirty[i];
            dirty[i] = null;
            c.flush();
            if (c.isFinished()) release(c);
        }
        dirtyCount = 0;
    }

    /** A connection closed: it stops counting against --max-clients at once, its slot when its requests are done. */
    void closed(UringConnection c, String reason) {
        clients--;
        options.log().println("client " + c.id() + " disconnected: " + reason);
    }

    private void release(UringConnection c) {
        if (slots[c.slot] != c) return;
        slots[c.slot] = null;
        if (freeSlotCount == freeSlots.length) freeSlots = Arrays.copyOf(freeSlots, freeSlotCount * 2);
        freeSlots[freeSlotCount++] = c.slot;
        c.freeBuffers();
    }

    /** An output buffer of OUT_BUFFER_SIZE from the pool. */
    MemorySegment takeBuffer() {
        MemorySegment b = pool.poll();
        return b != null ? b : arena.allocate(OUT_BUFFER_SIZE);
    }

    void giveBack(MemorySegment b) {
        pool.push(b);
    }

    // ------------------------------------------------------------------ accept, wake, timeout

    private void armAccept() {
        // accept4's own flags, not Sockets.CLOEXEC: the kernel reads them, and io_uring is Linux's.
        while (!ring.prepareAcceptMultishot(listener, SOCK_CLOEXEC(), userData(ACCEPT, 0, 0))) makeRoom();
        acceptArmed = true;
    }

    private void armWake() {
        while (!ring.prepare(IORING_OP_READ(), wakeFd, wakeBuf.address(), 8, 0, 0, userData(WAKE, 0, 0))) makeRoom();
    }

    /** A timeout SQE for the next timer, unless one in flight comes as early. */
    private void armTimeout(long millis) {
        long due = System.nanoTime() + millis * 1_000_000;
        if (timeoutArmed && timeoutDue - due <= 0) return;
        __kernel_timespec.tv_sec(timespec, millis / 1000);
        __kernel_timespec.tv_nsec(timespec, (millis % 1000) * 1_000_000);
        timeoutSeq++;
        while (!ring.prepareTimeout(timespec, 0, 0, userData(TIMEOUT, 0, (int) timeoutSeq))) makeRoom();
        timeoutArmed = true;
        timeoutDue = due;
    }

    // ------------------------------------------------------------------ stopping

    @Override
    public void stop() {
        stopped = true;
        synchronized (this) {
            if (closed) return;   // and the eventfd's number may be another file's by now
            try {
                wakeBuf.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1);
                Unistd.write(wakeFd, wakeBuf, 8);
            } catch (ErrnoException e) {
                // the counter is full: a wakeup is pending already
            }
        }
    }

    /** Closes every client (their requests are cancelled with the ring), the buffers, the ring and the listener. */
    private void closeAll() {
        for (int i = 0; i < slotsUsed; i++) {
            UringConnection c = slots[i];
            if (c != null) c.close("server stopping");
        }
        // The multishot accept holds its own reference to the listening socket, and the ring's teardown runs in a
        // kernel worker after close(2) returns: without this the port could accept for a moment after stop.
        // shutdown(2) takes a listening socket out of LISTEN at once, whoever holds it.
        try {
            Sockets.shutdown(listener, SHUT_RDWR());
        } catch (ErrnoException e) {
            options.log().println("io_uring: " + e.getMessage());
        }
        try {
            if (buffers != null) buffers.close();
        } catch (ErrnoException e) {
            options.log().println("io_uring: " + e.getMessage());
        }
        try {
            ring.close();   // cancels what is in flight; the sockets' last references go with it
        } catch (ErrnoException e) {
            options.log().println("io_uring: " + e.getMessage());
        }
        for (int i = 0; i < slotsUsed; i++) {
            if (slots[i] != null) slots[i].freeBuffers();
            slots[i] = null;
        }
        pool.clear();
        closeFds();
    }

    private synchronized void closeFds() {
        if (closed) return;
        closed = true;
        Unistd.closeQuietly(listener);
        Unistd.closeQuietly(wakeFd);
    }

    /** A server that never ran closes its listener here; one that ran has closed everything when run() returned. */
    @Override
    public void close() {
        synchronized (this) {
            if (running) return;
        }
        closeFds();
    }
}
