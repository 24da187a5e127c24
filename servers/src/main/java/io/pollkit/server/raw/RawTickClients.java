package io.pollkit.server.raw;

import io.pollkit.loop.AcceptError;
import io.pollkit.server.LineLog;
import io.pollkit.server.ServerOptions;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Netdb;
import io.pollkit.sys.Results;
import io.pollkit.sys.SockAddr;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.pollkit.bindings.sys_socket_h.SOMAXCONN;
import static io.pollkit.bindings.netdb_h.AI_NUMERICSERV;
import static io.pollkit.bindings.netdb_h.AI_PASSIVE;
import static io.pollkit.bindings.netdb_h.NI_NUMERICHOST;
import static io.pollkit.bindings.netdb_h.NI_NUMERICSERV;
import static io.pollkit.bindings.sys_socket_h.AF_UNSPEC;
import static io.pollkit.bindings.sys_socket_h.MSG_NOSIGNAL;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_REUSEADDR;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * What the four raw tick servers share that is not the readiness API: the listening socket, the client
 * table, line framing, the outbound queues, the tick schedule and the log. A RawXxxTick file asks its
 * API which fds are ready and calls {@link #accept()}, {@link #readable} and {@link #writable}; this
 * class does the reading and writing, which is the same whatever said the fd was ready.
 *
 * <p>Every socket is non-blocking, so no call here ever waits: a send that does not fit queues the
 * rest ({@link Client#hasQueuedOutput()} tells the API file to watch for writable), a recv with nothing
 * to read returns. One instance belongs to the one thread running the server.
 */
final class RawTickClients implements AutoCloseable {
    /** The token (epoll's data, kqueue's udata) of the listening socket; clients use their slot. */
    static final long LISTENER = -1;
    /** The longest single wait, so that the stop flag is seen within this long. */
    static final long MAX_WAIT_MILLIS = 200;
    /** How long the listener is left out of the waits after accept failed (EMFILE and the like). */
    static final long ACCEPT_PAUSE_MILLIS = 100;
    private static final int BACKLOG = SOMAXCONN();   // as the event-loop servers and the C ones: 1000 clients at once fit
    private static final int READ_SIZE = 4096;
    /** Failed connections in a row that one accept() call skips before it lets the clients and ticks run. */
    private static final int MAX_FAILED_PER_CALL = 64;
    private static final byte[] TICK = "tick\n".getBytes(StandardCharsets.US_ASCII);

    /** One connected client. */
    static final class Client {
        final int id;                 // N in "client N ...": connections are numbered from 1
        final int fd;
        final int slot;               // index in slots[]; also the token handed to epoll and kqueue
        final byte[] line;            // the line received so far, newline not yet seen
        int lineLength;
        final LineLog lineLog;        // its lines, rate-limited
        byte[] out = new byte[0];     // bytes queued for sending: out[0, outLength), grows up to maxQueued
        int outLength;
        boolean open = true;

        Client(int id, int fd, int slot, int maxLine, PrintStream log) {
            this.id = id;
            this.lineLog = new LineLog(log, id);
            this.fd = fd;
            this.slot = slot;
            this.line = new byte[maxLine + 1];   // + 1: room for a '\r' before the '\n'
        }

        /** Whether output waits to be sent, so the fd must be watched for writable. */
        boolean hasQueuedOutput() {
            return outLength > 0;
        }
    }

    /** slots[i] is the client in slot i, or null; never more than maxClients. Read-only outside this class. */
    final Client[] slots;
    /** The listening socket: non-blocking, close-on-exec. */
    final int listener;

    private final ServerOptions options;
    private final PrintStream log;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment in;        // what recv fills
    private final MemorySegment outbound;  // a client's queue is copied here for send (heap memory cannot be passed)
    private final MemorySegment tick;      // "tick\n", sent straight from here when nothing is queued
    private final MemorySegment peer = arena.allocate(SockAddr.STORAGE_SIZE, 8), peerLength = arena.allocate(JAVA_INT);
    private final long intervalNanos;
    private long nextTick;                 // the deadline of the next tick (System.nanoTime)
    private long acceptResumes;            // accept is paused until then (System.nanoTime)
    private boolean acceptFailing;         // the accept failure was logged; quiet until accept works again
    private int connections;

    private RawTickClients(ServerOptions options, int listener) {
        this.options = options;
        this.log = options.log();
        this.listener = listener;
        this.slots = new Client[options.maxClients()];
        try {
            this.in = arena.allocate(READ_SIZE);
            this.outbound = arena.allocate(Math.max(options.maxQueued(), TICK.length));   // up to 2 GiB: may fail
            this.tick = arena.allocate(TICK.length);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        MemorySegment.copy(TICK, 0, tick, JAVA_BYTE, 0, TICK.length);
        this.intervalNanos = Math.max(1, options.intervalMillis()) * 1_000_000;
        long now = System.nanoTime();
        this.nextTick = now + intervalNanos;   // the schedule is start + k * interval
        this.acceptResumes = now;
    }

    /**
     * Opens the listener on options.bind():options.port() (socket, SO_REUSEADDR, bind, listen) and prints
     * the one line "listening on HOST:PORT backend=NAME" to options.out().
     */
    static RawTickClients open(ServerOptions options) throws IOException {
        // getaddrinfo turns "127.0.0.1" or "::1" into the right sockaddr and tells the family to use.
        Netdb.AddrInfo ai = Netdb.getaddrinfo(options.bind(), String.valueOf(options.port()), AF_UNSPEC(),
                SOCK_STREAM(), AI_PASSIVE() | AI_NUMERICSERV()).getFirst();
        int fd = Sockets.socket(ai.family(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET(), SO_REUSEADDR(), 1);   // rebind at once after a restart (TIME_WAIT)
            Sockets.bind(fd, ai.address());
            Sockets.listen(fd, BACKLOG);
            // getsockname: the real port when port 0 let the kernel choose; getnameinfo prints ::1, not 0:0:...:1.
            Netdb.NameInfo name = Netdb.getnameinfo(Sockets.getsockname(fd), NI_NUMERICHOST() | NI_NUMERICSERV());
            String host = name.host().contains(":") ? "[" + name.host() + "]" : name.host();
            RawTickClients clients = new RawTickClients(options, fd);
            options.out().println("listening on " + host + ":" + name.service() + " backend=" + options.backend().id());
            options.out().flush();
            return clients;
        } catch (IOException | RuntimeException | Error e) {   // Error: an OutOfMemoryError from the buffers
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    /** Whether the listener should be watched now (false for a while after accept failed). */
    boolean accepting() {
        return System.nanoTime() - acceptResumes >= 0;
    }

    /**
     * How long the next wait may last: until the next tick deadline (or the end of an accept pause),
     * at most {@link #MAX_WAIT_MILLIS}; 0 when a deadline has passed. Computed afresh before every wait,
     * so traffic can never push a tick back (the bug of restarting a fixed timeout on every event).
     */
    long waitMillis() {
        long now = System.nanoTime();
        long until = accepting() ? nextTick : Math.min(nextTick, acceptResumes);
        long nanos = until - now;
        if (nanos <= 0) return 0;
        return Math.min(MAX_WAIT_MILLIS, (nanos + 999_999) / 1_000_000);   // rounded up: waking early would spin
    }

    /** When the tick deadline has passed: "tick\n" to every client, and the deadline moves on one interval. */
    void tickIfDue() {
        long now = System.nanoTime();
        if (now - nextTick < 0) return;
        for (Client c : slots) {
            if (c != null) sendTick(c);
        }
        nextTick += intervalNanos;              // fixed rate: deadline += interval, whatever came in between
        if (now - nextTick >= 0) {              // a whole interval late (a stalled process): skip, keep the phase
            nextTick += ((now - nextTick) / intervalNanos + 1) * intervalNanos;
        }
    }

    /**
     * accept4 on the listener until it would block; returns each new client (already in a slot), or null
     * when no connection is waiting. A connection beyond maxClients is closed at once.
     *
     * <p>A failed accept is handled as {@link AcceptError} classifies it. A connection that failed before it
     * was accepted (EPROTO, ...) is logged and the next one accepted. Out of fds (EMFILE or ENFILE; Linux
     * reports it before even looking at the queue) the connection stays queued and the listener stays
     * readable, so waiting on it again would return at once, forever: the listener is left out of the waits
     * for ACCEPT_PAUSE_MILLIS instead, and the failure is logged once until an accept succeeds. A broken
     * listener (EBADF, EINVAL, ...) throws: the server ends rather than live on without accepting.
     *
     * @throws IOException when the listener cannot accept any more
     */
    Client accept() throws IOException {
        for (int failed = 0; ; ) {
            int fd;
            peerLength.set(JAVA_INT, 0, SockAddr.STORAGE_SIZE);   // in: the room in peer; out: the length used
            try {
                fd = Sockets.accept4(listener, peer, peerLength, Sockets.NONBLOCK | Sockets.CLOEXEC);
            } catch (ErrnoException e) {
                // No switch on the enum: javac compiles one into a class of its own, loaded at the first failure,
                // and out of fds (EMFILE) no class file can be opened.
                AcceptError kind = AcceptError.of(e.errno());
                if (kind == AcceptError.LISTENER_BROKEN) throw AcceptError.listenerBroken(e);
                if (kind == AcceptError.CONNECTION_FAILED) {
                    log.println(e.getMessage() + "; that connection is dropped, accepting the next one");
                    if (++failed < MAX_FAILED_PER_CALL) continue;
                } else {
                    if (!acceptFailing) log.println(e.getMessage() + "; not accepting for " + ACCEPT_PAUSE_MILLIS + " ms");
                    acceptFailing = true;
                    acceptResumes = System.nanoTime() + ACCEPT_PAUSE_MILLIS * 1_000_000;
                }
                return null;
            }
            if (fd == Results.WOULD_BLOCK) return null;
            acceptFailing = false;
            int id = ++connections;
            String from = SockAddr.format(SockAddr.read(peer, peerLength.get(JAVA_INT, 0)));
            int slot = Arrays.asList(slots).indexOf(null);
            if (slot < 0) {
                log.println("client " + id + " from " + from + " refused: already serving " + slots.length + " clients");
                Unistd.closeQuietly(fd);
                continue;
            }
            Client c = new Client(id, fd, slot, options.maxLine(), log);
            slots[slot] = c;
            log.println("client " + id + " connected from " + from);
            return c;
        }
    }

    /** The client's fd is readable (or hung up, or failed: recv says which). Logs each complete line. */
    void readable(Client c) {
        if (!c.open) return;   // disconnected by an earlier event of the same wait
        long n;
        try {
            n = Sockets.recv(c.fd, in, in.byteSize(), Sockets.DONTWAIT);
        } catch (ErrnoException e) {
            disconnect(c, e.getMessage());   // ECONNRESET, ...
            return;
        }
        if (n == Results.WOULD_BLOCK) return;   // nothing after all
        if (n == 0) {
            disconnect(c, "end of stream");     // the peer closed, or shut down its sending side
            return;
        }
        int maxLine = options.maxLine();
        for (long i = 0; i < n; i++) {
            byte b = in.get(JAVA_BYTE, i);
            if (b == '\n') {
                int len = c.lineLength > 0 && c.line[c.lineLength - 1] == '\r' ? c.lineLength - 1 : c.lineLength;
                c.lineLog.line(c.line, len);
                c.lineLength = 0;
            } else if (c.lineLength > maxLine || (c.lineLength == maxLine && b != '\r')) {
                disconnect(c, "line longer than " + maxLine + " bytes");
                return;
            } else {
                c.line[c.lineLength++] = b;
            }
        }
    }

    /** The client's fd is writable: sends as much of its queue as the kernel takes. */
    void writable(Client c) {
        if (!c.open || c.outLength == 0) return;
        MemorySegment.copy(c.out, 0, outbound, JAVA_BYTE, 0, c.outLength);
        int sent = send(c, outbound, c.outLength);
        if (sent <= 0) return;
        System.arraycopy(c.out, sent, c.out, 0, c.outLength - sent);
        c.outLength -= sent;
    }

    /** Closes one client, then logs why. epoll and kqueue forget a closed fd by themselves. */
    void disconnect(Client c, String why) {
        if (!c.open) return;
        c.open = false;
        slots[c.slot] = null;
        Unistd.closeQuietly(c.fd);
        c.lineLog.closed();
        log.println("client " + c.id + " disconnected: " + why);
    }

    /** Sends "tick\n" to c: straight away when nothing is queued, else (and whatever does not fit) queued. */
    private void sendTick(Client c) {
        int sent = 0;
        if (c.outLength == 0) {
            sent = send(c, tick, TICK.length);
            if (sent < 0) return;
        }
        int rest = TICK.length - sent;
        if (rest == 0) return;
        if (c.outLength + rest > options.maxQueued()) {
            disconnect(c, "more than " + options.maxQueued() + " bytes queued (it does not read)");
            return;
        }
        if (c.out.length < c.outLength + rest) {
            c.out = Arrays.copyOf(c.out, Math.min(options.maxQueued(), Math.max(2 * c.out.length, c.outLength + rest)));
        }
        System.arraycopy(TICK, sent, c.out, c.outLength, rest);
        c.outLength += rest;
    }

    /**
     * One send(2) of {@code length} bytes with MSG_NOSIGNAL (a closed peer gives EPIPE, not a SIGPIPE):
     * the bytes sent, 0 when the socket buffer is full, -1 when the send failed and c was disconnected.
     */
    private int send(Client c, MemorySegment bytes, int length) {
        try {
            long n = Sockets.send(c.fd, bytes, length, Sockets.NOSIGNAL | Sockets.DONTWAIT);
            return n == Results.WOULD_BLOCK ? 0 : (int) n;
        } catch (ErrnoException e) {
            disconnect(c, e.getMessage());   // EPIPE, ECONNRESET, ...
            return -1;
        }
    }

    /** Closes every client and the listener. */
    @Override
    public void close() {
        for (Client c : slots) {
            if (c != null) {
                c.open = false;
                Unistd.closeQuietly(c.fd);
            }
        }
        Arrays.fill(slots, null);
        Unistd.closeQuietly(listener);
        arena.close();
    }
}
