package io.pollkit.server;

import io.pollkit.server.HttpRequestParser.Persistence;
import io.pollkit.server.HttpRequestParser.Status;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 hello connection, on either loop: its parser, the answers it asks for written to the
 * {@link Peer}, and its timeouts (the rules are {@link HttpServer}'s). The responses are made once, in native
 * memory, and only copied to a connection's queue or socket: nothing is allocated per request.
 */
final class HttpExchange implements Session, HttpRequestParser.Exchange {
    static final String OK = response("200 OK", "", true);

    // Indexed by Persistence ordinal: the GET (and every other method's) responses, then HEAD's.
    private static final MemorySegment[] RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] HEAD_RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] REJECTIONS = new MemorySegment[Status.values().length];
    private static final MemorySegment CONTINUE = bytes("HTTP/1.1 100 Continue\r\n\r\n");
    private static final MemorySegment REQUEST_TIMEOUT = bytes(closing("408 Request Timeout"));
    /** The answer to a client over {@code --max-clients}, followed by a close. */
    static final MemorySegment SERVICE_UNAVAILABLE = bytes(closing("503 Service Unavailable"));

    static {
        for (Persistence p : Persistence.values()) {
            String connection = switch (p) {
                case KEEP_ALIVE -> "";
                case KEEP_ALIVE_HTTP10 -> "Connection: keep-alive\r\n";
                case CLOSE -> "Connection: close\r\n";
            };
            RESPONSES[p.ordinal()] = bytes(response("200 OK", connection, true));
            HEAD_RESPONSES[p.ordinal()] = bytes(response("200 OK", connection, false));
        }
        for (Status s : Status.values()) {
            REJECTIONS[s.ordinal()] = bytes(closing(s.line));
        }
    }

    private static String closing(String status) {
        return "HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    }

    private static String response(String status, String connection, boolean body) {
        return "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n" + connection + "\r\n"
                + (body ? "hello\n" : "");
    }

    private static MemorySegment bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return Arena.global().allocate(b.length).copyFrom(MemorySegment.ofArray(b));
    }

    /** What a connection's deadline stands for. */
    private enum Wait {
        /** For a request head to end: since the connection opened, or since the head's first byte. */
        HEAD,
        /** For the next bytes of a body. */
        BODY,
        /** Kept alive, for the next request's first byte. */
        IDLE,
        /** For the client to take the last response (or the 408), after which the connection closes. */
        CLOSING
    }

    private final ServerOptions options;
    private final HttpRequestParser parser = new HttpRequestParser(this);
    private final Deadline deadline;
    private Peer peer;
    private Wait waiting = Wait.HEAD;
    private long responses;

    HttpExchange(ServerOptions options, Deadline.Scheduler timers) {
        this.options = options;
        this.deadline = new Deadline(timers, this::expired);
    }

    @Override
    public void opened(Peer p) {
        peer = p;
        deadline.in(System.nanoTime(), options.headerTimeoutMillis());
    }

    @Override
    public void received(Peer p, MemorySegment data, long n) throws IOException {
        peer = p;
        long before = responses;
        parser.feed(data, n);
        if (!p.isOpen()) return;
        // Only a new wait moves the deadline, so bytes that do not start a request (empty lines) extend nothing.
        boolean answered = responses != before;
        if (parser.isDone()) {
            wait(Wait.CLOSING, options.idleTimeoutMillis());
        } else if (parser.inBody()) {
            wait(Wait.BODY, options.headerTimeoutMillis());   // every read of a body restarts the pause allowed
        } else if (!parser.isBetweenRequests()) {
            if (waiting != Wait.HEAD || answered) wait(Wait.HEAD, options.headerTimeoutMillis());
        } else if (answered) {
            wait(Wait.IDLE, options.idleTimeoutMillis());
        }
    }

    private void wait(Wait w, long millis) {
        waiting = w;
        deadline.in(System.nanoTime(), millis);
    }

    private void expired() {
        String reason = switch (waiting) {
            case HEAD -> "request head not complete within " + Durations.format(options.headerTimeoutMillis());
            case BODY -> "request body stalled: nothing for " + Durations.format(options.headerTimeoutMillis());
            case IDLE -> "idle for " + Durations.format(options.idleTimeoutMillis());
            case CLOSING -> "last response not taken within " + Durations.format(options.idleTimeoutMillis());
        };
        // A request begun and not finished is answered; a connection that sent nothing of one is just closed
        // (a 408 there could cross a request on its way).
        if (waiting == Wait.BODY || (waiting == Wait.HEAD && !parser.isBetweenRequests())) {
            try {
                peer.write(REQUEST_TIMEOUT);
                peer.closeAfterFlush(reason);
            } catch (IOException e) {
                peer.close(reason);
            }
            if (peer.isOpen()) wait(Wait.CLOSING, options.idleTimeoutMillis());
        } else {
            peer.close(reason);
        }
    }

    @Override
    public void closed(Peer p, String reason) {
        deadline.cancel();
    }

    @Override
    public void proceed() throws IOException {
        peer.write(CONTINUE);
    }

    @Override
    public void respond(boolean head, Persistence persistence) throws IOException {
        responses++;
        peer.write((head ? HEAD_RESPONSES : RESPONSES)[persistence.ordinal()]);
        if (persistence == Persistence.CLOSE) peer.closeAfterFlush("Connection: close");
    }

    @Override
    public void reject(Status status, String why) throws IOException {
        peer.write(REJECTIONS[status.ordinal()]);
        peer.closeAfterFlush(why);
    }
}
