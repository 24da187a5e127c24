package io.pollkit.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A blocking test client (java.net.Socket with SO_TIMEOUT): the server's id for it and reading helpers. */
public final class Client implements AutoCloseable {
    static final String GET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

    final long id;
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Client(long id, Socket socket) throws IOException {
        this.id = id;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A line without its \n, or null at end of stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    byte[] readExactly(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new EOFException("client " + id + ": end of stream after " + b.length + " of " + n + " bytes");
        return b;
    }

    /**
     * Reads until end of stream, checking that the bytes are {@code unit} over and over (an echoed pattern,
     * identical responses); adds what it read to {@code taken} as it goes and returns the total.
     */
    long readRepeated(byte[] unit, java.util.concurrent.atomic.AtomicLong taken) throws IOException {
        byte[] buf = new byte[64 * 1024], expected = new byte[buf.length + unit.length];
        for (int i = 0; i < expected.length; i++) expected[i] = unit[i % unit.length];
        long k = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            int from = (int) (k % unit.length), bad = Arrays.mismatch(buf, 0, n, expected, from, from + n);
            if (bad >= 0) throw new AssertionError(this + ": byte " + (k + bad) + " received is " + buf[bad] + ", expected "
                    + expected[from + bad]);
            k += n;
            taken.addAndGet(n);
        }
        return k;
    }

    /** Reads a line and checks that it is a tick. */
    void awaitTick() throws IOException {
        assertEquals("tick", readLine(), "client " + id + " expected a tick line");
    }

    void assertEchoes(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        send(b);
        assertArrayEquals(b, readExactly(b.length), "client " + id + " got other bytes back");
    }

    /** One keep-alive GET and its 200 hello. */
    void assertHttpHello() throws IOException {
        send(GET);
        readResponse().assertHello();
    }

    /** An HTTP/1.1 response: status line, headers (names in lower case), body of Content-Length bytes. */
    record Response(String status, Map<String, String> headers, String body) {
        void assertHello() {
            assertEquals("HTTP/1.1 200 OK", status);
            assertEquals("6", headers.get("content-length"));
            assertEquals("hello\n", body);
        }
    }

    Response readResponse() throws IOException {
        return readResponse(false);
    }

    /** A response; {@code headersOnly} for one that has no body whatever its headers say (HEAD's, 1xx). */
    Response readResponse(boolean headersOnly) throws IOException {
        String status = readLine();
        if (status == null) throw new EOFException("client " + id + ": end of stream instead of a response");
        status = stripCr(status);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h; !(h = stripCr(readLine())).isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(), h.substring(colon + 1).trim());
        }
        int length = headersOnly ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(status, headers, new String(readExactly(length), StandardCharsets.ISO_8859_1));
    }

    private String stripCr(String line) throws EOFException {
        if (line == null) throw new EOFException("client " + id + ": end of stream inside a response head");
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * Reads until the server closes: end of stream, or a reset (the server may close with unread bytes).
     * Anything else read on the way fails the test; so does no close within SO_TIMEOUT.
     */
    void assertClosedByServer() throws IOException {
        try {
            byte[] rest = in.readNBytes(64 * 1024);
            if (rest.length > 0) fail("client " + id + ": expected the server to close, got " + rest.length + " more bytes: "
                    + new String(Arrays.copyOf(rest, Math.min(rest.length, 200)), StandardCharsets.ISO_8859_1));
        } catch (SocketTimeoutException e) {
            fail("client " + id + ": the server did not close the connection within " + socket.getSoTimeout() + " ms");
        } catch (SocketException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) throw e;
        }
    }

    /** Reads until the server closes (end of stream or a reset); only tick lines may come first. */
    void assertClosedAfterTicks() throws IOException {
        try {
            for (String line; (line = readLine()) != null; ) assertEquals("tick", line, this + ": before the close");
        } catch (SocketTimeoutException e) {
            fail(this + ": the server did not close the connection within " + socket.getSoTimeout() + " ms");
        } catch (SocketException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) throw e;
        }
    }

    /** Closes with an RST instead of a FIN (SO_LINGER 0). */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return "client " + id;
    }
}
