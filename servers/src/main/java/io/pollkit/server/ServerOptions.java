package io.pollkit.server;

import io.pollkit.poller.Backend;

import java.io.PrintStream;

/**
 * What every server is started with; the command line fills it (see the CLI's --help).
 *
 * @param backend       the readiness backend
 * @param bind          the address to listen on: 127.0.0.1 by default, ::1 for IPv6
 * @param port          the port; 0 takes a free one (the "listening on" line shows which)
 * @param intervalMillis the tick interval (tick servers)
 * @param maxClients    clients served at once; the next one is closed at once
 * @param maxLine       the longest line a client may send, newline excluded; longer disconnects it
 * @param maxQueued     bytes queued for a client that does not read; past this it is disconnected
 * @param out           where the one "listening on HOST:PORT backend=NAME" line goes
 * @param log           where log lines go ("client said: ...", disconnections)
 */
public record ServerOptions(Backend backend, String bind, int port, long intervalMillis, int maxClients, int maxLine,
                            int maxQueued, PrintStream out, PrintStream log) {
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_INTERVAL_MILLIS = 1000;
    public static final int DEFAULT_MAX_CLIENTS = 15;
    public static final int DEFAULT_MAX_LINE = 1024;
    public static final int DEFAULT_MAX_QUEUED = 64 * 1024;

    /** The defaults: the platform's default backend, 127.0.0.1:8080, 1 s ticks, 15 clients, stdout/stderr. */
    public static ServerOptions defaults() {
        return new ServerOptions(Backend.defaultBackend(), DEFAULT_BIND, DEFAULT_PORT, DEFAULT_INTERVAL_MILLIS,
                DEFAULT_MAX_CLIENTS, DEFAULT_MAX_LINE, DEFAULT_MAX_QUEUED, System.out, System.err);
    }

    public ServerOptions withBackend(Backend b) {
        return new ServerOptions(b, bind, port, intervalMillis, maxClients, maxLine, maxQueued, out, log);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(backend, bind, p, intervalMillis, maxClients, maxLine, maxQueued, out, log);
    }

    public ServerOptions withBind(String b) {
        return new ServerOptions(backend, b, port, intervalMillis, maxClients, maxLine, maxQueued, out, log);
    }

    public ServerOptions withInterval(long millis) {
        return new ServerOptions(backend, bind, port, millis, maxClients, maxLine, maxQueued, out, log);
    }

    public ServerOptions withMaxClients(int n) {
        return new ServerOptions(backend, bind, port, intervalMillis, n, maxLine, maxQueued, out, log);
    }

    public ServerOptions withMaxLine(int n) {
        return new ServerOptions(backend, bind, port, intervalMillis, maxClients, n, maxQueued, out, log);
    }

    public ServerOptions withMaxQueued(int n) {
        return new ServerOptions(backend, bind, port, intervalMillis, maxClients, maxLine, n, out, log);
    }

    public ServerOptions withStreams(PrintStream o, PrintStream l) {
        return new ServerOptions(backend, bind, port, intervalMillis, maxClients, maxLine, maxQueued, o, l);
    }
}
