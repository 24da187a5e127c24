package io.pollkit.server;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One of {@link ChaosTest}'s clients: a loop, bounded in rounds and time, each round one connection that does one
 * thing a hostile or broken client does (see {@link Act}) to one server. Its randomness comes from its own seeded
 * {@link Random}, so the sequence of acts is replayable from the printed seed.
 *
 * <p>Resets and EOFs are what chaos is made of and are not failures. What is: a well-formed exchange that comes back
 * wrong (echoed bytes that differ, an http response that is not the 200 hello, a first line that is not a tick) once
 * the server has started answering (a client refused for --max-clients gets nothing back, which a client cannot tell
 * from a close), or not at all within {@value #READ_TIMEOUT_MILLIS} ms, and a half-closed connection the server does
 * not close within that time.
 */
final class ChaosClient implements Runnable {
    /** What one connection does. */
    enum Act {
        /** Sends well-formed lines or requests in random pieces and checks the answers. */
        WELL_FORMED,
        /** Sends random bytes (controls, CR, NUL, escape sequences, invalid UTF-8, bidi overrides), in pieces. */
        GARBAGE,
        /** Sends something, shuts its write side down, reads until the server closes. */
        HALF_CLOSE,
        /** Sends part of something, then closes with an RST (SO_LINGER 0). */
        RESET,
        /** Sends part of a line or request, then sits there, then closes. */
        STALL,
        /** Sends and never reads what comes back (echo, http: until the server cuts it off for its queue cap). */
        NEVER_READ,
        /** Writes as fast as it can for a while, reading on another thread. */
        FLOOD,
        /** Connects and closes at once. */
        CONNECT_CLOSE
    }

    static final int READ_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_ROUNDS = 100_000;
    private static final byte[] BIDI = "\u202e\u2066\u2028".getBytes(StandardCharsets.UTF_8);

    private final ServerKind kind;
    private final int port;
    private final Random random;
    private final long deadlineNanos;
    private final Set<Socket> open;
    private final Queue<String> failures;
    private final String name;
    /** Acts done, and the nanoseconds they took, by Act ordinal. */
    private final AtomicLongArray acts, actNanos;

    ChaosClient(ServerKind kind, int port, long seed, long deadlineNanos, Set<Socket> open, Queue<String> failures,
                AtomicLongArray acts, AtomicLongArray actNanos, String name) {
        this.kind = kind;
        this.port = port;
        this.random = new Random(seed);
        this.deadlineNanos = deadlineNanos;
        this.open = open;
        this.failures = failures;
        this.acts = acts;
        this.actNanos = actNanos;
        this.name = name;
    }

    static Set<Socket> newOpenSet() {
        return ConcurrentHashMap.newKeySet();
    }

    @Override
    public void run() {
        for (int round = 0; round < MAX_ROUNDS && System.nanoTime() < deadlineNanos; round++) {
            Act act = Act.values()[random.nextInt(Act.values().length)];
            acts.incrementAndGet(act.ordinal());
            long t0 = System.nanoTime();
            Socket s = new Socket();
            open.add(s);
            try {
                s.setTcpNoDelay(true);
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                if (random.nextInt(4) == 0) s.setReceiveBufferSize(4096);   // a small window fills up sooner
                s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
                act(act, s);
            } catch (AssertionError e) {
                failures.add(name + " round " + round + " " + act + " on " + kind + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                // a reset, a refusal, a close under our feet: chaos as usual
            } finally {
                try {
                    s.close();
                } catch (IOException e) {
                    // already gone
                }
                open.remove(s);
                actNanos.addAndGet(act.ordinal(), System.nanoTime() - t0);
            }
        }
    }

    private void act(Act act, Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        switch (act) {
            case WELL_FORMED -> {
                try {
                    wellFormed(s);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("no answer within " + READ_TIMEOUT_MILLIS + " ms");
                }
            }
            case GARBAGE -> {
                writeInPieces(out, garbage(1 + random.nextInt(2048)));
                drain(s.getInputStream(), 1 + random.nextInt(300));
            }
            case HALF_CLOSE -> {
                byte[] b = random.nextBoolean() ? request() : garbage(random.nextInt(512));
                writeInPieces(out, b);
                s.shutdownOutput();
                // The server must close after the half-close (once it has sent what it owes): read to the end.
                long limit = System.nanoTime() + READ_TIMEOUT_MILLIS * 1_000_000L;
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                try {
                    while (in.read(buf) >= 0) {
                        if (System.nanoTime() > limit) throw new SocketTimeoutException();
                    }
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("no close within " + READ_TIMEOUT_MILLIS + " ms of a half-close");
                }
            }
            case RESET -> {
                byte[] b = request();
                out.write(b, 0, random.nextInt(b.length + 1));
                out.flush();
                if (random.nextBoolean()) pause(random.nextInt(50));
                s.setSoLinger(true, 0);
            }
            case STALL -> {
                byte[] b = request();
                out.write(b, 0, random.nextInt(Math.max(1, b.length - 1)));
                out.flush();
                pause(100 + random.nextInt(900));
                if (random.nextBoolean()) s.setSoLinger(true, 0);
            }
            case NEVER_READ -> {
                long until = System.nanoTime() + (100 + random.nextInt(900)) * 1_000_000L;
                // Bounded in bytes and time; a write blocked by a full window is unblocked by the server's close,
                // or at worst by the test's watchdog closing this socket.
                for (int sent = 0; sent < 4 << 20 && System.nanoTime() < until; ) {
                    byte[] b = kind == ServerKind.TICK ? line(random.nextInt(100)) : kind == ServerKind.HTTP ? wellFormedRequests(8)
                            : garbage(16 * 1024);
                    out.write(b);
                    sent += b.length;
                }
            }
            case FLOOD -> flood(s);
            case CONNECT_CLOSE -> { }
        }
    }

    /** Lines (tick), bytes (echo), requests (http) in random pieces; the answers checked. */
    private void wellFormed(Socket s) throws IOException {
        Client c = new Client(0, s);
        switch (kind) {
            case TICK -> {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int i = 1 + random.nextInt(20); i > 0; i--) b.writeBytes(line(random.nextInt(200)));
                writeInPieces(c.out, b.toByteArray());
                String first = c.readLine();
                if (first != null && !first.equals("tick")) throw new AssertionError("a tick client got " + quote(first));
            }
            case ECHO -> {
                byte[] b = garbage(1 + random.nextInt(8192));
                writeInPieces(c.out, b);
                byte[] back = c.in.readNBytes(b.length);
                if (back.length == 0) return;   // refused (--max-clients) before a byte came back
                if (!Arrays.equals(b, back)) {
                    throw new AssertionError("echo returned " + back.length + " bytes, differing from the " + b.length
                            + " sent at byte " + Arrays.mismatch(b, back));
                }
            }
            case HTTP -> {
                int n = 1 + random.nextInt(5);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                boolean[] head = new boolean[n];
                for (int i = 0; i < n; i++) {
                    head[i] = random.nextInt(5) == 0;
                    b.writeBytes(head[i] ? ascii("HEAD / HTTP/1.1\r\nHost: chaos\r\n\r\n") : request());
                }
                writeInPieces(c.out, b.toByteArray());
                for (int i = 0; i < n; i++) {
                    Client.Response r;
                    try {
                        r = c.readResponse(head[i]);
                    } catch (EOFException e) {
                        if (i == 0) return;   // refused before any answer
                        throw new AssertionError("the connection ended after " + i + " of " + n + " pipelined requests");
                    }
                    // Over --max-clients, http answers the first request with 503 and closes (defect 3's fix).
                    if (i == 0 && r.status().equals("HTTP/1.1 503 Service Unavailable") && "close".equals(r.headers().get("connection"))) {
                        return;
                    }
                    if (!r.status().equals("HTTP/1.1 200 OK") || !r.body().equals(head[i] ? "" : "hello\n")) {
                        throw new AssertionError("response " + (i + 1) + " of " + n + ": " + r);
                    }
                }
            }
        }
    }

    /** Writes for up to half a second while a virtual thread reads and discards what comes back. */
    private void flood(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[65536];
            try {
                while (in.read(buf) >= 0) { }
            } catch (IOException e) {
                // closed
            }
        });
        try {
            OutputStream out = s.getOutputStream();
            byte[] unit = kind == ServerKind.TICK ? line(random.nextInt(2000)) : kind == ServerKind.HTTP ? wellFormedRequests(64)
                    : garbage(64 * 1024);
            long until = System.nanoTime() + random.nextInt(500) * 1_000_000L;
            for (int i = 0; i < 10_000 && System.nanoTime() < until; i++) out.write(unit);
        } finally {
            s.close();
            try {
                reader.join(READ_TIMEOUT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A line (tick: one is sometimes past --max-line) with random printable text and bytes a log must escape. */
    private byte[] line(int length) {
        byte[] b = garbage(length);
        for (int i = 0; i < b.length; i++) if (b[i] == '\n') b[i] = ' ';
        byte[] l = Arrays.copyOf(b, b.length + (random.nextBoolean() ? 2 : 1));
        if (l.length == b.length + 2) l[b.length] = '\r';
        l[l.length - 1] = '\n';
        return l;
    }

    /** A request the http server answers 200 with keep-alive: GET, POST with a Content-Length body, or chunked. */
    private byte[] request() {
        return switch (random.nextInt(3)) {
            case 0 -> ascii(Client.GET);
            case 1 -> {
                String body = "x".repeat(random.nextInt(100));
                yield ascii("POST /p HTTP/1.1\r\nHost: chaos\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
            default -> {
                int k = 1 + random.nextInt(300);
                yield ascii("POST /c HTTP/1.1\r\nHost: chaos\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                        + Integer.toHexString(k) + "\r\n" + "a".repeat(k) + "\r\n0\r\n\r\n");
            }
        };
    }

    private byte[] wellFormedRequests(int n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) b.writeBytes(ascii(Client.GET));
        return b.toByteArray();
    }

    /** Random bytes, biased to what breaks parsers and logs. */
    private byte[] garbage(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            int r = random.nextInt(20);
            if (r < 12) b[i] = (byte) (' ' + random.nextInt(95));
            else if (r < 14) b[i] = (byte) "\r\n\0\u001b\t\\".charAt(random.nextInt(6));
            else if (r < 16 && i + BIDI.length <= length) {
                System.arraycopy(BIDI, 0, b, i, BIDI.length);
                i += BIDI.length - 1;
            } else b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    /** Writes {@code b} in 1 to 8 random pieces, pausing up to 3 ms between them now and then. */
    private void writeInPieces(OutputStream out, byte[] b) throws IOException {
        int pieces = 1 + random.nextInt(8), at = 0;
        for (int i = 0; i < pieces && at < b.length; i++) {
            int n = i == pieces - 1 ? b.length - at : random.nextInt(b.length - at + 1);
            out.write(b, at, n);
            out.flush();
            at += n;
            if (random.nextInt(4) == 0) pause(random.nextInt(4));
        }
        if (at < b.length) out.write(b, at, b.length - at);
        out.flush();
    }

    private static void drain(InputStream in, int millis) throws IOException {
        long until = System.nanoTime() + millis * 1_000_000L;
        byte[] buf = new byte[8192];
        while (System.nanoTime() < until && in.available() >= 0) {
            if (in.available() > 0) {
                if (in.read(buf) < 0) return;
            } else {
                pause(5);
            }
        }
    }

    private static void pause(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }
}
