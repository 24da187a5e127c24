package io.pollkit.server;

import io.pollkit.poller.Backend;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A server started in-process on a platform thread, its out and log captured line by line. The port comes
 * from its "listening on HOST:PORT backend=NAME" line. {@link #close()} stops it, joins the thread
 * (bounded), closes the clients it connected and checks that the loop reported no failure of its own (a
 * failed task or a callback that threw).
 */
public final class RunningServer implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    final ServerKind kind;
    final Backend backend;
    final Engine engine;
    final LineCapture out, log;
    final Server server;
    final int port;
    /** The address it listens on, from its listening line: 127.0.0.1 unless the options bind another (::1). */
    final String host;
    private final Thread thread;
    private volatile Throwable failure;
    private boolean closed;
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();   // closed in close()

    /** Makes the server of a test that needs one the ServerKind does not make. */
    @FunctionalInterface
    interface Factory {
        Server create(ServerOptions o) throws IOException;
    }

    private RunningServer(ServerKind kind, Engine engine, UnaryOperator<ServerOptions> tweak) throws IOException {
        this(kind, engine, tweak, kind::create);
    }

    private RunningServer(ServerKind kind, Engine engine, UnaryOperator<ServerOptions> tweak, Factory factory) throws IOException {
        this.kind = kind;
        this.engine = engine;
        this.backend = engine.backend();
        String name = kind.name().toLowerCase() + "/" + engine.id() + (engine.model() == Model.COMPLETION ? "-completion" : "");
        this.out = new LineCapture(name + " out");
        this.log = new LineCapture(name + " log");
        ServerOptions o = tweak.apply(engine.apply(ServerOptions.defaults()).withPort(0).withInterval(100)
                .withStreams(out.printStream(), log.printStream()));
        this.server = factory.create(o);
        this.thread = Thread.ofPlatform().name(kind + "-" + engine.id()).start(() -> {
            try {
                server.run();
            } catch (Throwable t) {
                failure = t;
            }
        });
        Matcher m;
        try {
            m = out.await("listening on \\[?(" + java.util.regex.Pattern.quote(o.bind())
                    + ")]?:(\\d+) backend=(\\w+)(?: loops=\\d+ accept=\\w+)?( model=completion)?", WAIT);
        } catch (AssertionError e) {
            server.stop();
            throw e;
        }
        this.host = m.group(1);
        this.port = Integer.parseInt(m.group(2));
        assertEquals(engine.id(), m.group(3), "the backend in the listening line");
        assertEquals(engine.model() == Model.COMPLETION, m.group(4) != null, "model=completion in the listening line");
    }

    public static RunningServer start(ServerKind kind, Backend backend) throws IOException {
        return new RunningServer(kind, Engine.readiness(backend), o -> o);
    }

    public static RunningServer start(ServerKind kind, Backend backend, UnaryOperator<ServerOptions> tweak) throws IOException {
        return new RunningServer(kind, Engine.readiness(backend), tweak);
    }

    /** {@code kind}'s server as {@code factory} makes it (for the log lines and the checks of {@code kind}). */
    static RunningServer start(ServerKind kind, Engine engine, UnaryOperator<ServerOptions> tweak, Factory factory) throws IOException {
        return new RunningServer(kind, engine, tweak, factory);
    }

    public static RunningServer start(ServerKind kind, Engine engine) throws IOException {
        return new RunningServer(kind, engine, o -> o);
    }

    public static RunningServer start(ServerKind kind, Engine engine, UnaryOperator<ServerOptions> tweak) throws IOException {
        return new RunningServer(kind, engine, tweak);
    }

    /** The clients each event loop has taken so far: a readiness server's ({@link LoopServer#servedPerLoop()}). */
    long[] servedPerLoop() {
        return ((LoopServer) server).servedPerLoop();
    }

    /** Connects a client and waits for the server's "client N connected" line; the client knows its N. */
    Client connect() throws IOException {
        return connect(0);
    }

    /** Like {@link #connect()} with SO_RCVBUF set first ({@code receiveBuffer} > 0). */
    Client connect(int receiveBuffer) throws IOException {
        int before = connectedCount();
        Socket s = new Socket();
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
        s.setSoTimeout((int) WAIT.toMillis());
        s.setTcpNoDelay(true);
        s.connect(new java.net.InetSocketAddress(host, port), (int) WAIT.toMillis());
        try {
            Client c = new Client(awaitConnected(before), s);
            opened.add(c);
            return c;
        } catch (AssertionError | IOException e) {
            s.close();
            throw e;
        }
    }

    /** A client with the server's buffering for it kept small (see {@link SmallWindowClient}), once connected. */
    SmallWindowClient connectSmallWindow() throws IOException {
        int before = connectedCount();
        SmallWindowClient c = SmallWindowClient.connect(port);
        opened.add(c);
        c.id = awaitConnected(before);
        return c;
    }

    int connectedCount() {
        return log.count("client \\d+ connected");
    }

    /** Waits for one more "client N connected" line than {@code before}; returns that N. */
    long awaitConnected(int before) {
        log.awaitCount(l -> l.matches("client \\d+ connected"), before + 1, WAIT, "client N connected");
        String line = log.lines().stream().filter(l -> l.matches("client \\d+ connected")).skip(before).findFirst().orElseThrow();
        return Long.parseLong(line.split(" ")[1]);
    }

    /** Waits for "client N disconnected: REASON" and returns REASON. */
    String awaitDisconnect(long id) {
        return awaitDisconnect(id, WAIT);
    }

    String awaitDisconnect(long id, Duration timeout) {
        return log.await("client " + id + " disconnected: (.*)", timeout).group(1);
    }

    String awaitDisconnect(Client c) {
        return awaitDisconnect(c.id);
    }

    boolean disconnected(Client c) {
        return disconnected(c.id);
    }

    boolean disconnected(long id) {
        return log.count("client " + id + " disconnected: .*") > 0;
    }

    void assertNotDisconnected(Client... clients) {
        for (Client c : clients) {
            assertFalse(disconnected(c), "client " + c.id + " was disconnected:\n" + log.tail());
        }
    }

    /** The loop's own failure lines: a timer task or a callback that threw. */
    void assertNoLoopFailures() {
        int failures = log.count(l -> l.startsWith("task failed") || l.matches("fd \\d+: .*; closing it"));
        assertEquals(0, failures, "the loop reported failures:\n" + log.tail());
    }

    @Override
    public void close() throws Exception {
        if (closed) return;
        closed = true;
        RuntimeException stopFailure = null;
        try {
            server.stop();
        } catch (RuntimeException e) {
            stopFailure = e;
        }
        thread.join(WAIT.toMillis());
        for (AutoCloseable c : opened) c.close();
        assertFalse(thread.isAlive(), "the server thread did not stop within " + WAIT.toMillis() + " ms");
        if (failure != null) {
            AssertionError e = new AssertionError("the server failed; log:\n" + log.tail(), failure);
            if (stopFailure != null) e.addSuppressed(stopFailure);
            throw e;
        }
        if (stopFailure != null) throw stopFailure;
        assertNoLoopFailures();
    }

    @Override
    public String toString() {
        return kind + " on " + engine + " port " + port;
    }
}
