package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;
import io.pollkit.server.HttpRequestParser.Persistence;
import io.pollkit.server.HttpRequestParser.Status;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;


/**
 * HTTP/1.1 hello: every request gets {@code 200 OK} with the body {@code hello\n} and a Content-Length
 * (a {@code HEAD} gets the same headers without the body); keep-alive, and pipelining-safe (every request is
 * answered, in order, once it has been read whole). Where a request ends, and what is refused with which
 * status, is {@link HttpRequestParser}'s: a malformed request gets {@code 400}, a head over
 * {@value HttpRequestParser#MAX_HEAD} bytes {@code 431}, a transfer coding other than chunked {@code 501},
 * an expectation other than {@code 100-continue} {@code 417}, each followed by a close.
 *
 * <p>Timeouts (nginx's and Go's): a request head must arrive whole within {@code --header-timeout} of the
 * connection's start, or of its first byte on a kept-alive connection; a body may pause no longer than
 * {@code --header-timeout} between two reads (nginx's client_body_timeout rule); either gets {@code 408} and a
 * close. A kept-alive connection that waits for its next request longer than {@code --idle-timeout} is closed,
 * without an answer, and so is one that never takes its last response. A client over {@code --max-clients} gets
 * {@code 503} and a close.
 */
public final class HttpServer extends LoopServer {
    static final String OK = response("200 OK", "", true);

    // Indexed by Persistence ordinal: the GET (and every other method's) responses, then HEAD's.
    private static final MemorySegment[] RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] HEAD_RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] REJECTIONS = new MemorySegment[Status.values().length];
    private static final MemorySegment CONTINUE = bytes("HTTP/1.1 100 Continue\r\n\r\n");
    private static final MemorySegment REQUEST_TIMEOUT = bytes(closing("408 Request Timeout"));
    private static final MemorySegment SERVICE_UNAVAILABLE = bytes(closing("503 Service Unavailable"));

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

    public HttpServer(ServerOptions options) throws IOException {
        super(options);
    }

    @Override
    protected Connection.Handler handlerFor(EventLoop loop, long id) {
        return new Exchange(loop);
    }

    /** Over --max-clients: 503 (a fresh socket's send buffer takes it whole), then LoopServer closes. */
    @Override
    protected void refuse(int fd) {
        try {
            Sockets.send(fd, SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE.byteSize(), Sockets.NOSIGNAL);
        } catch (ErrnoException e) {
            // the client is gone already: it is closed all the same
        }
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

    /** One connection: its parser, the answers it asks for written to the connection, and its timeouts. */
    private final class Exchange implements Connection.Handler, HttpRequestParser.Exchange, Opening {
        private final HttpRequestParser parser = new HttpRequestParser(this);
        private final Deadline deadline;
        private Connection connection;
        private Wait waiting = Wait.HEAD;
        private long responses;

        Exchange(EventLoop loop) {
            deadline = new Deadline(loop, this::expired);
        }

        @Override
        public void opened(Connection c) {
            connection = c;
            deadline.in(System.nanoTime(), options.headerTimeoutMillis());
        }

        @Override
        public void received(Connection c, MemorySegment data, long n) throws IOException {
            connection = c;
            long before = responses;
            parser.feed(data, n);
            if (!c.isOpen()) return;
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
                    connection.write(REQUEST_TIMEOUT);
                    connection.closeAfterFlush(reason);
                } catch (IOException e) {
                    connection.close(reason);
                }
                if (connection.isOpen()) wait(Wait.CLOSING, options.idleTimeoutMillis());
            } else {
                connection.close(reason);
            }
        }

        @Override
        public void closed(Connection c, String reason) {
            deadline.cancel();
        }

        @Override
        public void proceed() throws IOException {
            connection.write(CONTINUE);
        }

        @Override
        public void respond(boolean head, Persistence persistence) throws IOException {
            responses++;
            connection.write((head ? HEAD_RESPONSES : RESPONSES)[persistence.ordinal()]);
            if (persistence == Persistence.CLOSE) connection.closeAfterFlush("Connection: close");
        }

        @Override
        public void reject(Status status, String why) throws IOException {
            connection.write(REJECTIONS[status.ordinal()]);
            connection.closeAfterFlush(why);
        }
    }
}
