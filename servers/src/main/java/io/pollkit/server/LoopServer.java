package io.pollkit.server;

import io.pollkit.loop.Acceptor;
import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;
import io.pollkit.loop.Handoff;
import io.pollkit.loop.LoopGroup;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the event-loop servers share: the loops, the listeners, the client table with its {@code --max-clients}
 * limit, and the one "listening on HOST:PORT backend=NAME" line. A subclass says what to do with a client's bytes
 * ({@link #handlerFor}) and may answer a client over the limit ({@link #refuse}).
 *
 * <p>With {@code --loops=N} (N > 1) the server runs N event loops on N threads, each with its own poller, and a
 * client lives on one loop from its accept to its close. The loops get their clients as {@link AcceptMode} says:
 * each from its own listener on the shared port (SO_REUSEPORT, the kernel spreads them), or handed round-robin by
 * the first loop, which alone listens. The limits are the whole server's: {@code --max-clients} counts the clients
 * of every loop together. The loops stop together, and a failure of one stops the server.
 */
public abstract class LoopServer implements Server {
    protected final ServerOptions options;
    /** The first loop: the only one of a server that runs one (tick). */
    protected final EventLoop loop;
    private final LoopGroup group;
    private final AcceptMode accept;   // resolved: REUSEPORT or HANDOFF
    private final Shard[] shards;
    private final Handoff handoff;     // null unless the loops are handed their clients
    private final int maxClients;
    private final AtomicInteger clientCount = new AtomicInteger();
    private final AtomicLong nextId = new AtomicLong(1);
    private boolean closed;

    /** A handler that wants its connection as soon as it is open, before any byte (to start a timeout). */
    protected interface Opening {
        void opened(Connection c);
    }

    /** One loop's part of the server: touched only on that loop's thread (and after the loops have stopped). */
    private static final class Shard {
        final EventLoop loop;
        final MemorySegment readBuffer = Arena.ofAuto().allocate(64 * 1024);   // shared by its clients' callbacks
        final Map<Integer, Connection> clients = new LinkedHashMap<>();
        final AtomicLong served = new AtomicLong();   // read by other threads (tests, the closing line)
        Acceptor acceptor;   // null when the first loop hands this one its clients

        Shard(EventLoop loop) {
            this.loop = loop;
        }
    }

    protected LoopServer(ServerOptions options) throws IOException {
        this.options = options;
        int n = options.loops();
        this.maxClients = options.maxClients() == ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT
                ? FdLimit.maxClients(FdLimit.soft(), options.backend(), n) : options.maxClients();
        this.accept = options.accept().resolved();
        this.group = LoopGroup.open(options.backend(), n, options.log());
        this.loop = group.get(0);
        this.shards = new Shard[n];
        for (int i = 0; i < n; i++) shards[i] = new Shard(group.get(i));
        this.handoff = n > 1 && accept == AcceptMode.HANDOFF
                ? new Handoff(group.loops(), 0, this::accepted, this::listenerBroken) : null;
        try {
            if (n == 1) {
                shards[0].acceptor = Acceptor.listen(loop, options.bind(), options.port(), fd -> accepted(0, fd),
                        this::listenerBroken, options.log());
            } else if (handoff != null) {
                shards[0].acceptor = Acceptor.listen(loop, options.bind(), options.port(), handoff, this::listenerBroken,
                        options.log());
            } else {
                shards[0].acceptor = Acceptor.listen(loop, options.bind(), options.port(), Acceptor.Sharing.FIRST,
                        fd -> accepted(0, fd), this::listenerBroken, options.log());
                int port = shards[0].acceptor.address().getPort();   // port 0: every loop joins the port the first got
                for (int i = 1; i < n; i++) {
                    int index = i;
                    shards[i].acceptor = Acceptor.listen(group.get(i), options.bind(), port, Acceptor.Sharing.JOIN,
                            fd -> accepted(index, fd), this::listenerBroken, options.log());
                }
            }
        } catch (IOException | RuntimeException e) {
            group.close();   // the listeners opened so far with it: each loop owns its listener's fd
            throw e;
        }
    }

    /**
     * What to do with the bytes of client {@code id} (the N of the "client N ..." log lines), which lives on
     * {@code loop}: its timers must be that loop's.
     */
    protected abstract Connection.Handler handlerFor(EventLoop loop, long id);

    @Override
    public String hostPort() {
        return shards[0].acceptor.hostPort();
    }

    @Override
    public int port() {
        return shards[0].acceptor.address().getPort();
    }

    /** How many event loops serve the clients. */
    public int loops() {
        return shards.length;
    }

    /** How the loops get their clients: {@link AcceptMode#REUSEPORT} or {@link AcceptMode#HANDOFF}. */
    public AcceptMode acceptMode() {
        return accept;
    }

    /** The clients each loop has taken so far (accepted and registered; refused ones not counted), by loop. */
    public long[] servedPerLoop() {
        long[] r = new long[shards.length];
        for (int i = 0; i < r.length; i++) r[i] = shards[i].served.get();
        return r;
    }

    /**
     * The connected clients, in the order they came: a snapshot, so the caller may close clients (or a write may
     * close them) while it iterates. For a server of one loop, on its thread (tick).
     */
    protected List<Connection> clients() {
        List<Connection> all = new ArrayList<>();
        for (Shard s : shards) all.addAll(s.clients.values());
        return all;
    }

    /** The clients connected now, over every loop. */
    @Override
    public int clientCount() {
        return clientCount.get();
    }

    @Override
    public int maxClients() {
        return maxClients;
    }

    /**
     * A client over the limit is about to be closed: a server may answer it first with a non-blocking send
     * (http: 503). By default it is closed without a word.
     */
    protected void refuse(int fd) {}

    /** On loop {@code index}'s thread: a new client's fd, from that loop's listener or handed to it. */
    private void accepted(int index, int fd) throws IOException {
        NoDelay.set(fd);
        Shard shard = shards[index];
        long id = nextId.getAndIncrement();
        int count = clientCount.incrementAndGet();   // a slot taken at once: the loops share the one limit
        if (count > maxClients) {
            clientCount.decrementAndGet();
            refuse(fd);
            Refusal.drainAndClose(fd, shard.readBuffer, options.log(), id, Math.min(count - 1, maxClients), maxClients);
            return;
        }
        Connection.Handler h = handlerFor(shard.loop, id);
        Connection c;
        try {
            c = new Connection(shard.loop, fd, id, shard.readBuffer, options.maxQueued(), new Connection.Handler() {
                @Override
                public void received(Connection c, MemorySegment data, long length) throws IOException {
                    h.received(c, data, length);
                }

                @Override
                public void closed(Connection c, String reason) {
                    shard.clients.remove(c.fd());
                    clientCount.decrementAndGet();
                    h.closed(c, reason);   // first: what it logs about the client (a count of lines not shown) comes before
                    options.log().println("client " + c.id() + " disconnected: " + reason);
                }
            });
        } catch (IOException | RuntimeException e) {
            // This client cannot be watched (select and an fd past FD_SETSIZE, a failed epoll_ctl): refuse it
            // alone. Thrown on, it would reach the loop as the listener's failure and close the listener.
            clientCount.decrementAndGet();
            Unistd.closeQuietly(fd);
            options.log().println("client " + id + " refused: " + e.getMessage());
            return;
        }
        shard.clients.put(fd, c);
        shard.served.incrementAndGet();
        options.log().println("client " + id + " connected");
        if (h instanceof Opening o) o.opened(c);
    }

    /** A listener cannot accept any more: the server ends (every loop), and {@link #run()} throws why. */
    private void listenerBroken(IOException failure) {
        group.fail(failure);
    }

    /**
     * Prints the listening line and runs until {@link #stop()}; then closes every client and the listeners.
     *
     * @throws IOException when the server ended because a listener broke (accept failed with EBADF, EINVAL, ...) or
     *                     a loop failed
     */
    @Override
    public void run() throws IOException {
        options.out().println("listening on " + hostPort() + " backend=" + loop.backendName()
                + (shards.length > 1 ? " loops=" + shards.length + " accept=" + accept.id() : ""));
        options.out().flush();
        try {
            group.run("pollkit-loop");
        } finally {
            close();
        }
    }

    /** Safe from any thread (a signal handler): makes {@link #run()} return, once every loop has stopped. */
    @Override
    public void stop() {
        group.stop();
    }

    /** Closes every client, the listeners and the loops: after {@link #run()}, or instead of it. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Connection c : clients()) c.close("server stopping");
        for (Shard s : shards) {
            if (s.acceptor != null) s.acceptor.close();
        }
        if (handoff != null) handoff.close();
        group.close();
        if (shards.length > 1) {
            StringBuilder b = new StringBuilder("clients served by each of the " + shards.length + " loops:");
            for (long n : servedPerLoop()) b.append(' ').append(n);
            options.log().println(b);
        }
    }
}
