package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The HTTP server's in-place parser answers exactly as a plain String-based parser, simple enough to check by
 * reading, kept here as the reference ({@link Reference}); hundreds of request streams, hand-picked
 * and generated (odd line ends, spaces, case, Content-Length forms, Latin-1 bytes, bodies, pipelining, heads of
 * 8 KiB), go to the server over loopback, whole or in pieces. For each, the bytes the client gets before the
 * close and the reason the server logs for the close must be the reference's (after the client's half-close
 * the server closes with "peer closed" unless it closed first).
 */
@Timeout(120)
class HttpParserEquivalenceTest {
    private static final String GET = Client.GET;

    @Test
    void theInPlaceParserAnswersAsTheStringParserDid() throws Exception {
        List<String> inputs = new ArrayList<>(List.of(
                GET, GET + GET + GET,
                "GET / HTTP/1.1\n\n", "GET / HTTP/1.1\r\n\n", "GET / HTTP/1.1\n\r\n", "GET / HTTP/1.1\n\r\n\r\n",
                "GET / HTTP/1.1\r\n\r\n\r\n" + GET, "\r\n" + GET, "\n\n", "\r\n\r\n", "\n\r\n\r\n",
                "GET / HTTP/1.1\r\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\r\n\r\n", "GET /\r HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1 \r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/1.10\r\n\r\n", "GET / http/1.1\r\n\r\n", "G-T / HTTP/1.1\r\n\r\n",
                "GET  HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\n: x\r\n\r\n", "GET / HTTP/1.1\r\n :x\r\n\r\n",
                "GET / HTTP/1.1\r\nA:\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n\r\nB: c\r\n\r\n",
                "GET / HTTP/1.1\r\nA: b\r\n\r\n\r\nB: c\r\n\r\n",
                "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + GET,
                "GET / HTTP/1.1\r\nConnection:CLOSE\r\n\r\n", "GET / HTTP/1.1\r\n\tconnection \t:\t Close \t\r\n\r\n",
                "GET / HTTP/1.1\r\nConnection: close, keep-alive\r\n\r\n" + GET,
                "GET / HTTP/1.0\r\n\r\n" + GET, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" + GET,
                "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: x\r\n\r\n" + GET,
                "GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n" + GET,
                "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello" + GET,
                "POST / HTTP/1.1\r\nContent-Length: -0\r\n\r\n" + GET,
                "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n" + GET,
                "POST / HTTP/1.1\r\nContent-Length: +\r\n\r\n" + GET, "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n" + GET,
                "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n" + GET, "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\nabc",
                "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: -9223372036854775808\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 000000000000000000000000012\r\n\r\n0123456789ab" + GET,
                "POST / HTTP/1.1\r\nCONTENT-LENGTH: 3\r\ncontent-length: 4\r\n\r\nabcd" + GET,
                "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: x\r\n\r\nabc" + GET,
                "POST / HTTP/1.1\r\nContent-Length: x\r\nno colon\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 2\u00b2\r\n\r\nab",
                "GET / HTTP/1.1\r\nX-\u00c0\u00e9: \u00ff\u0085\r\n\r\n" + GET, "GET /\u00e0 HTTP/1.1\r\n\r\n",
                "\u00c9T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nConnection: \u00a0close\r\n\r\n" + GET,
                "GET / HTTP/1.1\r\nConnection: close\u0000\r\n\r\n" + GET, "GET / HTTP/1.1\r\nHost: a\r\n",
                head(8192) + GET, head(8191) + head(8192), head(8193), head(8192).substring(0, 8190) + "x\r\n\r\n",
                "GET / HTTP/1.1\r\nX: " + "a".repeat(9000)));
        Random random = new Random(20240611);
        for (int i = 0; i < 400; i++) inputs.add(generated(random));

        try (RunningServer s = RunningServer.start(ServerKind.HTTP, Backend.defaultBackend(), o -> o.withMaxClients(4))) {
            int i = 0;
            for (String input : inputs) {
                byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
                Reference.Outcome expected = Reference.run(bytes);
                Client c = s.connect();
                sendInPieces(c, bytes, i % 3 == 0 ? 1 : 1 + random.nextInt(4), random);
                try {
                    c.socket.shutdownOutput();
                } catch (IOException e) {
                    // the server closed first
                }
                String what = "input " + i + ": " + printable(input);
                assertEquals(printable(new String(expected.output(), StandardCharsets.ISO_8859_1)),
                        printable(new String(readToClose(c), StandardCharsets.ISO_8859_1)), what);
                assertEquals(expected.closeReason() == null ? "peer closed" : expected.closeReason(), s.awaitDisconnect(c), what);
                c.close();
                i++;
            }
        }
    }

    /** Sends {@code bytes} in {@code pieces} writes a millisecond apart, so that the server reads them apart. */
    private static void sendInPieces(Client c, byte[] bytes, int pieces, Random random) throws Exception {
        int[] cuts = new int[pieces + 1];
        cuts[pieces] = bytes.length;
        for (int p = 1; p < pieces; p++) cuts[p] = random.nextInt(bytes.length + 1);
        Arrays.sort(cuts);
        try {
            for (int p = 0; p < pieces; p++) {
                if (p > 0) Thread.sleep(1);
                c.send(Arrays.copyOfRange(bytes, cuts[p], cuts[p + 1]));
            }
        } catch (SocketException e) {
            // the server closed before the rest: what it answered is still to be read
        }
    }

    /** Everything until the server's close (end of stream or a reset). */
    private static byte[] readToClose(Client c) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = c.in;
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) got.write(buf, 0, n);
        } catch (SocketException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) throw e;
        }
        return got.toByteArray();
    }

    private static String head(int length) {
        String start = "GET / HTTP/1.1\r\nX-Pad: ", end = "\r\n\r\n";
        return start + "p".repeat(length - start.length() - end.length()) + end;
    }

    private static final String[] METHODS = {"GET", "POST", "PUT", "get", "G3T", "", "GET ", "\u00c9T"};
    private static final String[] TARGETS = {"/", "/a?b=c", "", " ", "/\r", "*", "/\u00e0"};
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/1.1 ", "http/1.1", ""};
    private static final String[] ENDS = {"\r\n", "\r\n", "\n", "\r\r\n"};
    private static final String[] NAMES = {"Host", "Connection", "connection", " CONNECTION", "Content-Length",
            "content-length ", "X-A", "", "\t", "Conn ection", "\u00c0"};
    private static final String[] VALUES = {"x", " close", "CLOSE ", "keep-alive", "Keep-Alive\t", "close, x", "0", "3",
            "+3", "-0", "-3", "12x", "", " 007", "99999999999999999999", "\u00e9"};

    /** A stream of one to three requests from the pieces above, with bodies as long as they say (or not). */
    private static String generated(Random r) {
        StringBuilder b = new StringBuilder();
        int requests = 1 + r.nextInt(3);
        for (int q = 0; q < requests; q++) {
            String end = pick(r, ENDS);
            b.append(pick(r, METHODS)).append(r.nextInt(8) == 0 ? "  " : " ").append(pick(r, TARGETS)).append(' ')
                    .append(pick(r, VERSIONS)).append(end);
            int headers = r.nextInt(4), bodyLength = 0;
            for (int h = 0; h < headers; h++) {
                String name = pick(r, NAMES), value = pick(r, VALUES);
                if (r.nextInt(10) == 0) b.append(value).append(pick(r, ENDS));   // no colon at all
                else b.append(name).append(r.nextBoolean() ? ": " : ":").append(value).append(pick(r, ENDS));
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (n.equals("content-length") && value.trim().matches("\\+?\\d{1,3}")) bodyLength = Integer.parseInt(value.trim());
            }
            b.append(r.nextInt(12) == 0 ? "\n" : pick(r, ENDS));
            if (r.nextInt(8) != 0) b.append("b".repeat(bodyLength));
        }
        return b.toString();
    }

    private static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    private static String printable(String s) {
        String p = s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t").replace("\u0000", "\\0");
        return p.length() > 300 ? p.substring(0, 300) + "... (" + s.length() + " chars)" : p;
    }

    /** The reference: HttpServer's rules over Strings, minus the connection: what it sends, and why it closes. */
    static final class Reference {
        record Outcome(byte[] output, String closeReason) {}

        private final byte[] head = new byte[HttpServer.MAX_HEAD];
        private int length;
        private long bodyLeft;
        private boolean done;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private String closeReason;

        static Outcome run(byte[] data) {
            Reference p = new Reference();
            p.received(data);
            return new Outcome(p.out.toByteArray(), p.closeReason);
        }

        private void received(byte[] data) {
            long n = data.length;
            for (long i = 0; i < n && !done; ) {
                if (bodyLeft > 0) {
                    long skip = Math.min(bodyLeft, n - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }
                if (length == HttpServer.MAX_HEAD) {
                    reject(HttpServer.TOO_LARGE, "request head over " + HttpServer.MAX_HEAD + " bytes");
                    return;
                }
                byte b = data[(int) i++];
                head[length++] = b;
                if (b == '\n' && endsWithBlankLine()) {
                    int end = length;
                    length = 0;
                    answer(end);
                }
            }
        }

        private boolean endsWithBlankLine() {
            return (length >= 4 && head[length - 4] == '\r' && head[length - 3] == '\n' && head[length - 2] == '\r')
                    || (length >= 2 && head[length - 2] == '\n');
        }

        private void answer(int end) {
            String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r?\n");
            String[] request = lines.length == 0 ? new String[0] : lines[0].split(" ", -1);
            if (request.length != 3 || !request[0].matches("[A-Z]+") || request[1].isEmpty()
                    || !(request[2].equals("HTTP/1.1") || request[2].equals("HTTP/1.0"))) {
                reject(HttpServer.BAD_REQUEST, "malformed request line");
                return;
            }
            boolean close = request[2].equals("HTTP/1.0");
            long contentLength = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    reject(HttpServer.BAD_REQUEST, "malformed header line");
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
                        reject(HttpServer.BAD_REQUEST, "bad Content-Length");
                        return;
                    }
                }
            }
            bodyLeft = contentLength;
            out.writeBytes(HttpServer.OK.getBytes(StandardCharsets.US_ASCII));
            if (close) {
                done = true;
                closeReason = "Connection: close";
            }
        }

        private void reject(String response, String why) {
            done = true;
            out.writeBytes(response.getBytes(StandardCharsets.US_ASCII));
            closeReason = why;
        }
    }
}
