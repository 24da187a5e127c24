package io.pollkit.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Where each HTTP/1.1 request on a connection ends (RFC 9112), for a server that answers every request the
 * same way: it reads a request's head, then its body (Content-Length or chunked), which it discards, and
 * tells the {@link Exchange} what to answer, in request order. It must never disagree with a proxy in front
 * of it about where a request ends, so every framing it cannot be sure of is refused and the connection closed:
 * <ul>
 *   <li>Content-Length is {@code 1*DIGIT}; several with different values, or Transfer-Encoding with
 *       Content-Length, or Transfer-Encoding in HTTP/1.0, are a 400;</li>
 *   <li>Transfer-Encoding {@code chunked} is read (extensions and trailer fields skipped), any other coding is a
 *       501, chunked twice a 400; chunked framing lines end in CRLF exactly;</li>
 *   <li>whitespace between a field name and its colon, obsolete line folding, and control bytes in a field value
 *       or the request line are a 400;</li>
 *   <li>empty lines before a request line are ignored; head lines may end in LF alone (RFC 9112 2.2);</li>
 *   <li>{@code Connection} is a list where {@code close} wins; HTTP/1.0 closes unless it asks for keep-alive;</li>
 *   <li>{@code Expect: 100-continue} with a body is answered with {@link Exchange#proceed()}; any other
 *       expectation is a 417.</li>
 * </ul>
 * A request is answered when it has been read whole, body included. The head is parsed in place in a byte array
 * of {@value #MAX_HEAD} bytes, and nothing is allocated per request.
 */
final class HttpRequestParser {
    /** The longest request head (and the longest trailer section) accepted, in bytes. */
    static final int MAX_HEAD = 8192;
    /** The longest chunk-size line, extensions included. */
    static final int MAX_CHUNK_LINE = 1024;

    /** How the connection goes on after a response. */
    enum Persistence {
        /** HTTP/1.1's default: the next request follows on the same connection. */
        KEEP_ALIVE,
        /** An HTTP/1.0 client asked for keep-alive: the response says {@code Connection: keep-alive}. */
        KEEP_ALIVE_HTTP10,
        /** The response says {@code Connection: close}, and the connection closes after it. */
        CLOSE
    }

    /** The errors the parser answers with; each closes the connection. */
    enum Status {
        BAD_REQUEST("400 Bad Request"),
        EXPECTATION_FAILED("417 Expectation Failed"),
        HEADER_FIELDS_TOO_LARGE("431 Request Header Fields Too Large"),
        NOT_IMPLEMENTED("501 Not Implemented");

        final String line;

        Status(String line) {
            this.line = line;
        }
    }

    /** What the parser asks its server to send, in request order. */
    interface Exchange {
        /** Sends {@code 100 Continue}: the client waits for it before it sends the body. */
        void proceed() throws IOException;

        /** Answers a request read whole: headers alone for a {@code HEAD}, the body otherwise. */
        void respond(boolean head, Persistence persistence) throws IOException;

        /** Answers with {@code status} and closes; the parser reads nothing more. */
        void reject(Status status, String why) throws IOException;
    }

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
        TRAILER, TRAILER_LF, DONE }

    private final Exchange exchange;
    private final byte[] head = new byte[MAX_HEAD];
    private State state = State.HEAD;
    private int length;            // bytes of head[] in use
    private int lineStart;         // where the head's current line starts in head[]
    private long bodyLeft;         // BODY, CHUNK_DATA: bytes still to skip
    private int chunkLine;         // CHUNK_SIZE, CHUNK_EXT: bytes of the chunk-size line so far
    private int chunkDigits;       // CHUNK_SIZE: hex digits so far
    private int trailerBytes, trailerLine;
    // The request being read, between its head and its end.
    private boolean isHead;
    private Persistence persistence;

    HttpRequestParser(Exchange exchange) {
        this.exchange = exchange;
    }

    /** Whether the parser has stopped: after a rejection or a response that closes. */
    boolean isDone() {
        return state == State.DONE;
    }

    /** Whether no byte of a next request has been read (empty lines before a request line count as none). */
    boolean isBetweenRequests() {
        return state == State.HEAD && length == 0;
    }

    /** Whether it is reading a request's body (its head was read whole). */
    boolean inBody() {
        return state != State.HEAD && state != State.DONE;
    }

    /** Reads {@code data[0..n)}, answering every request that ends in it. */
    void feed(MemorySegment data, long n) throws IOException {
        long i = 0;
        while (i < n && state != State.DONE) {
            switch (state) {
                case HEAD -> i = head(data, i, n);
                case BODY -> {
                    long skip = Math.min(bodyLeft, n - i);
                    bodyLeft -= skip;
                    i += skip;
                    if (bodyLeft == 0) complete();
                }
                case CHUNK_DATA -> {
                    long skip = Math.min(bodyLeft, n - i);
                    bodyLeft -= skip;
                    i += skip;
                    if (bodyLeft == 0) state = State.CHUNK_DATA_CR;
                }
                default -> chunked(data.get(JAVA_BYTE, i++));
            }
        }
    }

    /** Takes head bytes from {@code data[i..n)} until the head ends; returns where it stopped. */
    private long head(MemorySegment data, long i, long n) throws IOException {
        while (i < n) {
            byte b = data.get(JAVA_BYTE, i++);
            if (length == 0 && b == '\n') continue;   // an empty line (LF) before the request line: ignored
            if (length == MAX_HEAD) {
                reject(Status.HEADER_FIELDS_TOO_LARGE, "request head over " + MAX_HEAD + " bytes");
                return i;
            }
            head[length++] = b;
            if (b != '\n') continue;
            int lineLength = length - 1 - lineStart;
            if (lineLength == 0 || (lineLength == 1 && head[lineStart] == '\r')) {
                int end = lineStart;
                length = lineStart = 0;
                if (end > 0) {   // else an empty line (CRLF) before the request line: ignored
                    request(end);
                    return i;
                }
                continue;
            }
            lineStart = length;
        }
        return i;
    }

    /** Parses the head in {@code head[0..end)} (its lines, without the empty line that ended it) and acts on it. */
    private void request(int end) throws IOException {
        byte[] h = head;
        int lineEnd = lineEnd(0, end);
        int sp1 = indexOf(h, (byte) ' ', 0, lineEnd);
        int sp2 = sp1 < 0 ? -1 : indexOf(h, (byte) ' ', sp1 + 1, lineEnd);
        if (sp2 < 0 || !upperCase(h, 0, sp1) || sp2 == sp1 + 1 || !visible(h, sp1 + 1, sp2)
                || lineEnd - sp2 - 1 != HTTP_1_.length + 1 || !regionEquals(h, sp2 + 1, HTTP_1_)
                || (h[lineEnd - 1] != '1' && h[lineEnd - 1] != '0')) {
            reject(Status.BAD_REQUEST, "malformed request line");
            return;
        }
        boolean http10 = h[lineEnd - 1] == '0';
        isHead = sp1 == HEAD.length && regionEquals(h, 0, HEAD);
        long contentLength = -1;
        boolean transferEncoding = false, chunked = false, otherCoding = false, close = false, keepAlive = false,
                expectContinue = false;
        for (int start = nextLine(lineEnd, end); start < end; start = nextLine(lineEnd, end)) {
            lineEnd = lineEnd(start, end);
            if (h[start] == ' ' || h[start] == '\t') {
                reject(Status.BAD_REQUEST, "obsolete line folding");
                return;
            }
            int colon = indexOf(h, (byte) ':', start, lineEnd);
            if (colon <= start || !token(h, start, colon)) {
                reject(Status.BAD_REQUEST, "malformed header line");
                return;
            }
            int valueStart = skipOws(h, colon + 1, lineEnd), valueEnd = trimOws(h, valueStart, lineEnd);
            if (!fieldValue(h, valueStart, valueEnd)) {
                reject(Status.BAD_REQUEST, "control byte in a header value");
                return;
            }
            if (nameIs(h, start, colon, CONTENT_LENGTH)) {
                long v = digits(h, valueStart, valueEnd);
                if (v < 0 || (contentLength >= 0 && v != contentLength)) {
                    reject(Status.BAD_REQUEST, v < 0 ? "bad Content-Length" : "conflicting Content-Length");
                    return;
                }
                contentLength = v;
            } else if (nameIs(h, start, colon, TRANSFER_ENCODING)) {
                transferEncoding = true;
                for (int e = valueStart; e < valueEnd; ) {
                    int comma = indexOfOr(h, (byte) ',', e, valueEnd);
                    int from = skipOws(h, e, comma), to = trimOws(h, from, comma);
                    if (to > from) {
                        if (!equalsIgnoreCase(h, from, to, CHUNKED)) otherCoding = true;
                        else if (chunked) {
                            reject(Status.BAD_REQUEST, "chunked applied twice");
                            return;
                        } else chunked = true;
                    }
                    e = comma + 1;
                }
            } else if (nameIs(h, start, colon, CONNECTION)) {
                for (int e = valueStart; e < valueEnd; ) {
                    int comma = indexOfOr(h, (byte) ',', e, valueEnd);
                    int from = skipOws(h, e, comma), to = trimOws(h, from, comma);
                    close |= equalsIgnoreCase(h, from, to, CLOSE);
                    keepAlive |= equalsIgnoreCase(h, from, to, KEEP_ALIVE);
                    e = comma + 1;
                }
            } else if (nameIs(h, start, colon, EXPECT)) {
                if (!equalsIgnoreCase(h, valueStart, valueEnd, CONTINUE_100)) {
                    reject(Status.EXPECTATION_FAILED, "unsupported expectation");
                    return;
                }
                expectContinue = true;
            }
        }
        if (transferEncoding) {
            String why = http10 ? "Transfer-Encoding in HTTP/1.0" : contentLength >= 0 ? "Transfer-Encoding with Content-Length"
                    : !chunked && !otherCoding ? "empty Transfer-Encoding" : null;
            if (why != null) {
                reject(Status.BAD_REQUEST, why);
                return;
            }
            if (otherCoding) {
                reject(Status.NOT_IMPLEMENTED, "unsupported transfer coding");
                return;
            }
        }
        persistence = close || (http10 && !keepAlive) ? Persistence.CLOSE
                : http10 ? Persistence.KEEP_ALIVE_HTTP10 : Persistence.KEEP_ALIVE;
        boolean body = chunked || contentLength > 0;
        // RFC 9110 10.1.1: an HTTP/1.0 client's 100-continue is ignored.
        if (expectContinue && body && !http10) exchange.proceed();
        if (chunked) {
            startChunk();
        } else if (body) {
            bodyLeft = contentLength;
            state = State.BODY;
        } else {
            complete();
        }
    }

    /** One byte of the chunked body's framing (RFC 9112 7.1): sizes, extensions, CRLFs, trailer fields. */
    private void chunked(byte b) throws IOException {
        switch (state) {
            case CHUNK_SIZE -> {
                int d = hex(b);
                if (d >= 0 && chunkDigits < 15) {
                    bodyLeft = bodyLeft << 4 | d;
                    chunkDigits++;
                    chunkLine++;
                } else if (chunkDigits > 0 && (b == ';' || b == ' ' || b == '\t')) {
                    state = State.CHUNK_EXT;
                    chunkLine++;
                } else if (chunkDigits > 0 && b == '\r') {
                    state = State.CHUNK_SIZE_LF;
                } else {
                    reject(Status.BAD_REQUEST, d >= 0 ? "chunk size too large" : "malformed chunk size");
                }
            }
            case CHUNK_EXT -> {
                if (b == '\r') state = State.CHUNK_SIZE_LF;
                else if (++chunkLine > MAX_CHUNK_LINE) reject(Status.BAD_REQUEST, "chunk extension too long");
                else if (control(b)) reject(Status.BAD_REQUEST, "control byte in a chunk extension");
            }
            case CHUNK_SIZE_LF -> {
                if (b != '\n') reject(Status.BAD_REQUEST, "chunk size line without CRLF");
                else if (bodyLeft > 0) state = State.CHUNK_DATA;
                else {
                    state = State.TRAILER;
                    trailerBytes = trailerLine = 0;
                }
            }
            case CHUNK_DATA_CR -> {
                if (b == '\r') state = State.CHUNK_DATA_LF;
                else reject(Status.BAD_REQUEST, "chunk data without CRLF");
            }
            case CHUNK_DATA_LF -> {
                if (b == '\n') startChunk();
                else reject(Status.BAD_REQUEST, "chunk data without CRLF");
            }
            case TRAILER -> {
                if (++trailerBytes > MAX_HEAD) reject(Status.HEADER_FIELDS_TOO_LARGE, "trailer over " + MAX_HEAD + " bytes");
                else if (b == '\r') state = State.TRAILER_LF;
                else if (b == '\n' || (b != '\t' && control(b))) reject(Status.BAD_REQUEST, "malformed trailer");
                else trailerLine++;
            }
            case TRAILER_LF -> {
                if (b != '\n') reject(Status.BAD_REQUEST, "malformed trailer");
                else if (trailerLine == 0) complete();
                else {
                    trailerLine = 0;
                    state = State.TRAILER;
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void startChunk() {
        state = State.CHUNK_SIZE;
        bodyLeft = 0;
        chunkDigits = chunkLine = 0;
    }

    /** The request has been read whole: answer it. */
    private void complete() throws IOException {
        state = persistence == Persistence.CLOSE ? State.DONE : State.HEAD;
        exchange.respond(isHead, persistence);
    }

    private void reject(Status status, String why) throws IOException {
        state = State.DONE;
        exchange.reject(status, why);
    }

    /** The end of the line starting at {@code start} (before its CRLF or LF), or {@code end} for the last line. */
    private int lineEnd(int start, int end) {
        int nl = indexOf(head, (byte) '\n', start, end);
        if (nl < 0) return end > start && head[end - 1] == '\r' ? end - 1 : end;
        return nl > start && head[nl - 1] == '\r' ? nl - 1 : nl;
    }

    /** The start of the line after the one ending at {@code lineEnd}, or {@code end}. */
    private int nextLine(int lineEnd, int end) {
        int p = lineEnd < end && head[lineEnd] == '\r' ? lineEnd + 1 : lineEnd;
        return Math.min(p + 1, end);
    }

    private static final byte[] HTTP_1_ = ascii("HTTP/1."), HEAD = ascii("HEAD"), CONNECTION = ascii("connection"),
            CLOSE = ascii("close"), KEEP_ALIVE = ascii("keep-alive"), CONTENT_LENGTH = ascii("content-length"),
            TRANSFER_ENCODING = ascii("transfer-encoding"), CHUNKED = ascii("chunked"), EXPECT = ascii("expect"),
            CONTINUE_100 = ascii("100-continue");

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static int indexOf(byte[] h, byte b, int from, int to) {
        for (int p = from; p < to; p++) if (h[p] == b) return p;
        return -1;
    }

    private static int indexOfOr(byte[] h, byte b, int from, int to) {
        int p = indexOf(h, b, from, to);
        return p < 0 ? to : p;
    }

    private static boolean upperCase(byte[] h, int from, int to) {
        if (from >= to) return false;
        for (int p = from; p < to; p++) if (h[p] < 'A' || h[p] > 'Z') return false;
        return true;
    }

    /** A request target: visible bytes only (no space, no control byte). */
    private static boolean visible(byte[] h, int from, int to) {
        for (int p = from; p < to; p++) if (h[p] == ' ' || control(h[p])) return false;
        return true;
    }

    private static boolean regionEquals(byte[] h, int at, byte[] s) {
        for (int j = 0; j < s.length; j++) if (h[at + j] != s[j]) return false;
        return true;
    }

    private static boolean control(byte b) {
        return (b >= 0 && b < ' ') || b == 0x7f;
    }

    /** RFC 9110 5.1 token: {@code 1*tchar}; a space before the colon is not one. */
    private static boolean token(byte[] h, int from, int to) {
        for (int p = from; p < to; p++) {
            byte b = h[p];
            boolean alnum = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
            if (!alnum && "!#$%&'*+-.^_`|~".indexOf(b) < 0) return false;
        }
        return to > from;
    }

    /** RFC 9110 5.5: no control byte but HTAB (a lone CR in a value is one). */
    private static boolean fieldValue(byte[] h, int from, int to) {
        for (int p = from; p < to; p++) if (h[p] != '\t' && control(h[p])) return false;
        return true;
    }

    private static int skipOws(byte[] h, int from, int to) {
        while (from < to && (h[from] == ' ' || h[from] == '\t')) from++;
        return from;
    }

    private static int trimOws(byte[] h, int from, int to) {
        while (to > from && (h[to - 1] == ' ' || h[to - 1] == '\t')) to--;
        return to;
    }

    private static boolean nameIs(byte[] h, int from, int to, byte[] lower) {
        return equalsIgnoreCase(h, from, to, lower);
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

    /** {@code 1*DIGIT} of at most 18 digits (so it fits a long), or -1. */
    private static long digits(byte[] h, int from, int to) {
        if (from >= to || to - from > 18) return -1;
        long v = 0;
        for (int p = from; p < to; p++) {
            int d = h[p] - '0';
            if (d < 0 || d > 9) return -1;
            v = v * 10 + d;
        }
        return v;
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }
}
