package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.server.HttpRequestParser.Persistence;
import io.pollkit.server.HttpRequestParser.Status;

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
 */
public final class HttpServer extends LoopServer {
    static final String OK = response("200 OK", "", true);

    // Indexed by Persistence ordinal: the GET (and every other method's) responses, then HEAD's.
    private static final MemorySegment[] RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] HEAD_RESPONSES = new MemorySegment[Persistence.values().length];
    private static final MemorySegment[] REJECTIONS = new MemorySegment[Status.values().length];
    private static final MemorySegment CONTINUE = bytes("HTTP/1.1 100 Continue\r\n\r\n");

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
            REJECTIONS[s.ordinal()] = bytes("HTTP/1.1 " + s.line + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
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
    protected Connection.Handler handlerFor(long id) {
        return new Exchange();
    }

    /** One connection: its parser, and the answers it asks for written to the connection. */
    private static final class Exchange implements Connection.Handler, HttpRequestParser.Exchange {
        private final HttpRequestParser parser = new HttpRequestParser(this);
        private Connection connection;

        @Override
        public void received(Connection c, MemorySegment data, long n) throws IOException {
            connection = c;
            parser.feed(data, n);
        }

        @Override
        public void proceed() throws IOException {
            connection.write(CONTINUE);
        }

        @Override
        public void respond(boolean head, Persistence persistence) throws IOException {
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
