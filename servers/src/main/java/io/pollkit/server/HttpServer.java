package io.pollkit.server;

import io.pollkit.loop.Connection;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

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
    protected Connection.Handler handlerFor() {
        return new Parser();
    }

    /**
     * One connection's request parser: accumulates a head until its blank line, then answers it. The head is
     * parsed in place, in its byte array: nothing is allocated per request.
     */
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
                // Take what fits, then look for the blank line in what was added.
                int from = length, take = (int) Math.min(n - i, MAX_HEAD - length);
                MemorySegment.copy(data, JAVA_BYTE, i, head, length, take);
                int end = headEnd(from, from + take);
                if (end < 0) {
                    length += take;
                    i += take;
                    continue;
                }
                i += end - from;   // the bytes after the head are the body's, or the next request's
                length = 0;
                answer(c, end);
            }
        }

        /**
         * The end (exclusive) of the head in {@code head[0..to)}, looking at the newlines at {@code from} and
         * after: a newline closing an empty line ({@code \n\n}, or {@code \r\n\r\n}); -1 when none.
         */
        private int headEnd(int from, int to) {
            byte[] h = head;
            for (int p = from; p < to; p++) {
                if (h[p] != '\n') continue;
                if ((p >= 3 && h[p - 3] == '\r' && h[p - 2] == '\n' && h[p - 1] == '\r') || (p >= 1 && h[p - 1] == '\n')) {
                    return p + 1;
                }
            }
            return -1;
        }

        /**
         * Answers the head in {@code head[0..end)}. Lines end at {@code \n}, less one {@code \r} before it;
         * empty lines at the end are ignored. The request line is {@code METHOD SP TARGET SP HTTP/1.x} with
         * exactly two spaces, METHOD of A-Z, TARGET not empty, x 0 or 1; each header line has a colon after a
         * non-empty start; names and values are compared trimmed (bytes up to space) and case-insensitively.
         */
        private void answer(Connection c, int end) throws IOException {
            byte[] h = head;
            // The last non-empty line ends at last (exclusive, before its \r\n or \n).
            int last = -1;
            for (int p = 0, lineStart = 0; p < end; p++) {
                if (h[p] != '\n') continue;
                int lineEnd = p > lineStart && h[p - 1] == '\r' ? p - 1 : p;
                if (lineEnd > lineStart) last = lineEnd;
                lineStart = p + 1;
            }
            if (last < 0) {
                reject(c, BAD_REQUEST_BYTES, "malformed request line");
                return;
            }
            // The request line.
            int lineEnd = lineEnd(0, last);
            int sp1 = indexOf(h, (byte) ' ', 0, lineEnd);
            int sp2 = sp1 < 0 ? -1 : indexOf(h, (byte) ' ', sp1 + 1, lineEnd);
            if (sp2 < 0 || indexOf(h, (byte) ' ', sp2 + 1, lineEnd) >= 0 || !upperCaseToken(h, 0, sp1) || sp2 == sp1 + 1
                    || lineEnd - sp2 - 1 != 8 || !startsWith(h, sp2 + 1, HTTP_1_) || (h[lineEnd - 1] != '1' && h[lineEnd - 1] != '0')) {
                reject(c, BAD_REQUEST_BYTES, "malformed request line");
                return;
            }
            boolean close = h[lineEnd - 1] == '0';
            long contentLength = 0;
            // The header lines.
            for (int start = nextLine(lineEnd); start >= 0 && start <= last; start = nextLine(lineEnd)) {
                lineEnd = lineEnd(start, last);
                int colon = indexOf(h, (byte) ':', start, lineEnd);
                if (colon <= start) {
                    reject(c, BAD_REQUEST_BYTES, "malformed header line");
                    return;
                }
                int nameStart = trimStart(h, start, colon), nameEnd = trimEnd(h, nameStart, colon);
                int valueStart = trimStart(h, colon + 1, lineEnd), valueEnd = trimEnd(h, valueStart, lineEnd);
                if (equalsIgnoreCase(h, nameStart, nameEnd, CONNECTION)) {
                    boolean closeValue = equalsIgnoreCase(h, valueStart, valueEnd, CLOSE);
                    boolean keepAlive = equalsIgnoreCase(h, valueStart, valueEnd, KEEP_ALIVE);
                    close = closeValue || (close && !keepAlive);
                }
                if (equalsIgnoreCase(h, nameStart, nameEnd, CONTENT_LENGTH)) {
                    contentLength = contentLength(h, valueStart, valueEnd);
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

        /** The end of the line starting at {@code start} (before its \r\n or \n), or {@code last} for the last line. */
        private int lineEnd(int start, int last) {
            int nl = indexOf(head, (byte) '\n', start, last);
            if (nl < 0) return last;
            return nl > start && head[nl - 1] == '\r' ? nl - 1 : nl;
        }

        /** The start of the line after the line ending at {@code lineEnd} (before its \r\n or \n). */
        private int nextLine(int lineEnd) {
            return head[lineEnd] == '\r' && head[lineEnd + 1] == '\n' ? lineEnd + 2 : lineEnd + 1;
        }

        private void reject(Connection c, MemorySegment response, String why) throws IOException {
            done = true;
            c.write(response);
            c.closeAfterFlush(why);
        }
    }

    private static final byte[] HTTP_1_ = ascii("HTTP/1."), CONNECTION = ascii("connection"), CLOSE = ascii("close"),
            KEEP_ALIVE = ascii("keep-alive"), CONTENT_LENGTH = ascii("content-length");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int indexOf(byte[] h, byte b, int from, int to) {
        for (int p = from; p < to; p++) if (h[p] == b) return p;
        return -1;
    }

    private static boolean upperCaseToken(byte[] h, int from, int to) {
        if (from >= to) return false;
        for (int p = from; p < to; p++) if (h[p] < 'A' || h[p] > 'Z') return false;
        return true;
    }

    private static boolean startsWith(byte[] h, int at, byte[] prefix) {
        for (int j = 0; j < prefix.length; j++) if (h[at + j] != prefix[j]) return false;
        return true;
    }

    /** What String.trim() skips: every char up to space, which in ISO-8859-1 is every byte 0x00..0x20. */
    private static boolean blank(byte b) {
        return (b & 0xff) <= ' ';
    }

    private static int trimStart(byte[] h, int from, int to) {
        while (from < to && blank(h[from])) from++;
        return from;
    }

    private static int trimEnd(byte[] h, int from, int to) {
        while (to > from && blank(h[to - 1])) to--;
        return to;
    }

    /** {@code h[from..to)} equals {@code lower}, a lower-case ASCII word, ignoring the case of A-Z. */
    private static boolean equalsIgnoreCase(byte[] h, int from, int to, byte[] lower) {
        if (to - from != lower.length) return false;
        for (int j = 0; j < lower.length; j++) {
            byte b = h[from + j];
            if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
            if (b != lower[j]) return false;
        }
        return true;
    }

    /**
     * A Content-Length value as Long.parseLong reads it ({@code [+-]?[0-9]+}, within a long), or -1 when it
     * is not one or is negative ("-0" is 0).
     */
    private static long contentLength(byte[] h, int from, int to) {
        boolean negative = false;
        if (from < to && (h[from] == '+' || h[from] == '-')) {
            negative = h[from] == '-';
            from++;
        }
        if (from >= to) return -1;
        long v = 0;
        for (int p = from; p < to; p++) {
            int d = h[p] - '0';
            if (d < 0 || d > 9) return -1;
            if (v > (Long.MAX_VALUE - d) / 10) return -1;   // past Long.MAX_VALUE (negative values fail anyway)
            v = v * 10 + d;
        }
        return negative && v != 0 ? -1 : v;
    }
}
