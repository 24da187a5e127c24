package io.pollkit.server;

import io.pollkit.loop.Acceptor;
import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the event-loop servers share: the loop, the listener, the client table with its
 * {@code --max-clients} limit, and the one "listening on HOST:PORT backend=NAME" line. A subclass says
 * what to do with a client's bytes ({@link #handlerFor}) and may answer a client over the limit ({@link #refuse}).
 */
public abstract class LoopServer implements Server {
    protected final ServerOptions options;
    protected final EventLoop loop;
    private final Acceptor acceptor;
    private final MemorySegment readBuffer = Arena.ofAuto().allocate(64 * 1024);   // shared: used only inside callbacks
    private final Map<Integer, Connection> clients = new LinkedHashMap<>();
    private final int maxClients;
    private long nextId = 1;
    private IOException listenerFailure;   // set on the loop's thread, read there after the loop returns

    /** A handler that wants its connection as soon as it is open, before any byte (to start a timeout). */
    protected interface Opening {
        void opened(Connection c);
    }

    protected LoopServer(ServerOptions options) throws IOException {
        this.options = options;
        this.maxClients = options.maxClients() == ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT
                ? FdLimit.maxClients(FdLimit.soft(), options.backend()) : options.maxClients();
        this.loop = new EventLoop(options.backend(), options.log());
        try {
            this.acceptor = Acceptor.listen(loop, options.bind(), options.port(), this::accepted, this::listenerBroken,
                    options.log());
        } catch (IOException | RuntimeException e) {
            loop.close();
            throw e;
        }
    }

    /** What to do with the bytes of client {@code id} (the N of the "client N ..." log lines). */
    protected abstract Connection.Handler handlerFor(long id);

    @Override
    public String hostPort() {
        return acceptor.hostPort();
    }

    @Override
    public int port() {
        return acceptor.address().getPort();
    }

    /**
     * The connected clients, in the order they came: a snapshot, so the caller may close clients (or a
     * write may close them) while it iterates.
     */
    protected List<Connection> clients() {
        return List.copyOf(clients.values());
    }

    @Override
    public int clientCount() {
        return clients.size();
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

    private void accepted(int fd) throws IOException {
        long id = nextId++;
        if (clients.size() >= maxClients) {
            refuse(fd);
            Refusal.drainAndClose(fd, readBuffer, options.log(), id, clients.size(), maxClients);
            return;
        }
        Connection.Handler h = handlerFor(id);
        Connection c;
        try {
            c = new Connection(loop, fd, id, readBuffer, options.maxQueued(), new Connection.Handler() {
                @Override
                public void received(Connection c, MemorySegment data, long length) throws IOException {
                    h.received(c, data, length);
                }

                @Override
                public void closed(Connection c, String reason) {
                    clients.remove(c.fd());
                    h.closed(c, reason);   // first: what it logs about the client (a count of lines not shown) comes before
                    options.log().println("client " + c.id() + " disconnected: " + reason);
                }
            });
        } catch (IOException | RuntimeException e) {
            // This client cannot be watched (select and an fd past FD_SETSIZE, a failed epoll_ctl): refuse it
            // alone. Thrown on, it would reach the loop as the listener's failure and close the listener.
            Unistd.closeQuietly(fd);
            options.log().println("client " + id + " refused: " + e.getMessage());
            return;
        }
        clients.put(fd, c);
        options.log().println("client " + id + " connected");
        if (h instanceof Opening o) o.opened(c);
    }

    /** The listener cannot accept any more: the server ends, and {@link #run()} throws why. */
    private void listenerBroken(IOException failure) {
        listenerFailure = failure;
        loop.stop();
    }

    @Override
    public void run() throws IOException {
        options.out().println("listening on " + hostPort() + " backend=" + loop.backendName());
        options.out().flush();
        try {
            loop.run();
        } finally {
            close();
        }
        if (listenerFailure != null) throw listenerFailure;
    }

    @Override
    public void stop() {
        loop.stop();
    }

    @Override
    public void close() {
        for (Connection c : clients()) c.close("server stopping");
        acceptor.close();
        loop.close();
    }
}
