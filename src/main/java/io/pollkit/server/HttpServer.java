package io.pollkit.server;

import io.pollkit.loop.Connection;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * HTTP/1.1 hello: every request gets {@code 200 OK} with the body {@code hello\n} and a Content-Length;
 * keep-alive, and pipelining-safe (every complete request in the buffer is answered, in order). A
 * malformed request gets {@code 400} and a close; a request head over {@value #MAX_HEAD} bytes gets
 * {@code 431} and a close. Request bodies (Content-Length) are skipped.
 */
public final class HttpServer extends LoopServer {
    /** The longest request head accepted, in bytes. */
    public static final int MAX_HEAD = 8192;

    static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
    static final String BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    static final String TOO_LARGE = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    private static final MemorySegment OK_BYTES = bytes(OK), BAD_REQUEST_BYTES = bytes(BAD_REQUEST),
            TOO_LARGE_BYTES = bytes(TOO_LARGE);

    private static MemorySegment bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return Arena.global().allocate(b.length).copyFrom(MemorySegment.ofArray(b));
    }

    public HttpServer(ServerOptions options) throws IOException {
        super(options);
    }

    @Override
    protected String name() {
        return "http";
    }

    @Override
    protected Connection.Handler handlerFor(long id) {
        return new Parser();
    }

    /** One connection's request parser: accumulates a head until its blank line, then answers it. */
    private static final class Parser implements Connection.Handler {
        private final byte[] head = new byte[MAX_HEAD];
        private int length;
        private long bodyLeft;
        private boolean done;

        @Override
        public void received(Connection c, MemorySegment data, long n) throws IOException {
            for (long i = 0; i < n && !done; ) {
                if (bodyLeft > 0) {
                    long skip = Math.min(bodyLeft, n - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }
                if (length == MAX_HEAD) {
                    reject(c, TOO_LARGE_BYTES, "request head over " + MAX_HEAD + " bytes");
                    return;
                }
                byte b = data.get(JAVA_BYTE, i++);
                head[length++] = b;
                if (b == '\n' && endsWithBlankLine()) {
                    int end = length;
                    length = 0;
                    answer(c, end);
                }
            }
        }

        private boolean endsWithBlankLine() {
            return (length >= 4 && head[length - 4] == '\r' && head[length - 3] == '\n' && head[length - 2] == '\r')
                    || (length >= 2 && head[length - 2] == '\n');
        }

        private void answer(Connection c, int end) throws IOException {
            String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r?\n");
            String[] request = lines.length == 0 ? new String[0] : lines[0].split(" ", -1);
            if (request.length != 3 || !request[0].matches("[A-Z]+") || request[1].isEmpty()
                    || !(request[2].equals("HTTP/1.1") || request[2].equals("HTTP/1.0"))) {
                reject(c, BAD_REQUEST_BYTES, "malformed request line");
                return;
            }
            boolean close = request[2].equals("HTTP/1.0");
            long contentLength = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    reject(c, BAD_REQUEST_BYTES, "malformed header line");
                    return;
                }
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                if (name.equals("connection")) close = value.equals("close") || (close && !value.equals("keep-alive"));
                if (name.equals("content-length")) {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        contentLength = -1;
                    }
                    if (contentLength < 0) {
                        reject(c, BAD_REQUEST_BYTES, "bad Content-Length");
                        return;
                    }
                }
            }
            bodyLeft = contentLength;
            c.write(OK_BYTES);
            if (close) {
                done = true;
                c.closeAfterFlush("Connection: close");
            }
        }

        private void reject(Connection c, MemorySegment response, String why) throws IOException {
            done = true;
            c.write(response);
            c.closeAfterFlush(why);
        }
    }
}
