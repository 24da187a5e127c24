package io.pollkit.server;

import io.pollkit.poller.Backend;

import java.io.PrintStream;

/**
 * What every server is started with; the command line fills it (see the CLI's --help).
 *
 * @param backend             the readiness backend (the readiness model's)
 * @param model               how the server is driven: by readiness (the event loop over {@code backend}) or by
 *                            io_uring's completions
 * @param bind                the address to listen on: 127.0.0.1 by default, ::1 for IPv6
 * @param port                the port; 0 takes a free one (the "listening on" line shows which)
 * @param intervalMillis      the tick interval (tick servers)
 * @param maxClients          clients served at once; the next one is refused (http: with a 503).
 *                            {@link #MAX_CLIENTS_FROM_FD_LIMIT}: derived from RLIMIT_NOFILE ({@link FdLimit})
 * @param maxLine             the longest line a client may send, newline excluded; longer disconnects it
 * @param maxQueued           bytes queued for a client that does not read; past this it is disconnected
 * @param headerTimeoutMillis http: a request head must be read whole within this, and a body may pause no longer
 *                            than this between two reads; 0 for none
 * @param idleTimeoutMillis   http: a keep-alive connection waiting for its next request closes after this;
 *                            echo: a client that sends nothing for this long is closed; 0 for none
 * @param loops               event loops, each on its own thread (echo and http; tick runs one)
 * @param accept              how the loops get their connections when there are several ({@link AcceptMode})
 * @param out                 where the one "listening on HOST:PORT backend=NAME" line goes
 * @param log                 where log lines go ("client said: ...", disconnections)
 */
public record ServerOptions(Backend backend, Model model, String bind, int port, long intervalMillis, int maxClients,
                            int maxLine, int maxQueued, long headerTimeoutMillis, long idleTimeoutMillis, int loops,
                            AcceptMode accept, PrintStream out, PrintStream log) {
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_INTERVAL_MILLIS = 1000;
    /** The tick server's design: a classroom of clients. */
    public static final int DEFAULT_MAX_CLIENTS = 15;
    /** {@code maxClients} for "as many as the fd limit allows": echo's and http's default. */
    public static final int MAX_CLIENTS_FROM_FD_LIMIT = 0;
    public static final int DEFAULT_MAX_LINE = 1024;
    public static final int DEFAULT_MAX_QUEUED = 64 * 1024;
    /** nginx's client_header_timeout (60 s): room for a slow network, not for a slot held forever. */
    public static final long DEFAULT_HEADER_TIMEOUT_MILLIS = 60_000;
    /** nginx's keepalive_timeout (75 s). */
    public static final long DEFAULT_HTTP_IDLE_TIMEOUT_MILLIS = 75_000;
    /** Echo's clients are people at a terminal who pause: 5 min, between AWS NLB's 350 s and nginx stream's 10 min. */
    public static final long DEFAULT_ECHO_IDLE_TIMEOUT_MILLIS = 300_000;
    /** The most --loops: far more threads than any machine's cores only adds switching between them. */
    public static final int MAX_LOOPS = 256;

    /**
     * The defaults: the platform's default backend, the readiness model, 127.0.0.1:8080, 1 s ticks, 15 clients,
     * http's timeouts, one loop, stdout/stderr.
     */
    public static ServerOptions defaults() {
        return new ServerOptions(Backend.defaultBackend(), Model.READINESS, DEFAULT_BIND, DEFAULT_PORT,
                DEFAULT_INTERVAL_MILLIS, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_LINE, DEFAULT_MAX_QUEUED,
                DEFAULT_HEADER_TIMEOUT_MILLIS, DEFAULT_HTTP_IDLE_TIMEOUT_MILLIS, 1, AcceptMode.AUTO, System.out,
                System.err);
    }

    public ServerOptions withBackend(Backend b) {
        return new ServerOptions(b, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withModel(Model m) {
        return new ServerOptions(backend, m, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(backend, model, bind, p, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withBind(String b) {
        return new ServerOptions(backend, model, b, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withInterval(long millis) {
        return new ServerOptions(backend, model, bind, port, millis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withMaxClients(int n) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, n, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withMaxLine(int n) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, n, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withMaxQueued(int n) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, n,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withHeaderTimeout(long millis) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                millis, idleTimeoutMillis, loops, accept, out, log);
    }

    public ServerOptions withIdleTimeout(long millis) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, millis, loops, accept, out, log);
    }

    public ServerOptions withLoops(int n) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, n, accept, out, log);
    }

    public ServerOptions withAccept(AcceptMode a) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, a, out, log);
    }

    public ServerOptions withStreams(PrintStream o, PrintStream l) {
        return new ServerOptions(backend, model, bind, port, intervalMillis, maxClients, maxLine, maxQueued,
                headerTimeoutMillis, idleTimeoutMillis, loops, accept, o, l);
    }
}
