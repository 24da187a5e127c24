package io.pollkit.server;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of {@link HttpRequestParser}: a stream of valid requests gets exactly the answers a simple model
 * expects however it is cut into reads, and arbitrary bytes never crash it, never get an answer after a
 * rejection or a close, and never get more answers than they could hold requests.
 */
class HttpRequestParserProperties {
    /** A valid request and the answer the model expects for it. */
    record Request(String text, List<String> answers, boolean closes) {}

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<String> target = Arbitraries.strings().withChars("abcxyz/?=&%.-_~0123456789").ofMinLength(1).ofMaxLength(40)
                .map(t -> "/" + t);
        Arbitrary<String> filler = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(60);
        Arbitrary<String> body = Arbitraries.strings().withCharRange((char) 0, (char) 255).ofMaxLength(300);
        Arbitrary<List<String>> chunks = body.list().ofMaxSize(5);
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 7);
        return Combinators.combine(kind, target, filler, body, chunks, Arbitraries.of("\r\n", "\n")).as(
                (k, t, f, b, cs, eol) -> switch (k) {
                    case 0 -> new Request("GET " + t + " HTTP/1.1" + eol + "Host: h" + eol + "X-F: " + f + eol + eol,
                            List.of("200 KEEP_ALIVE"), false);
                    case 1 -> new Request("HEAD " + t + " HTTP/1.1" + eol + eol, List.of("HEAD KEEP_ALIVE"), false);
                    case 2 -> new Request("POST " + t + " HTTP/1.1" + eol + "Content-Length: " + b.length() + eol + eol + b,
                            List.of("200 KEEP_ALIVE"), false);
                    case 3 -> new Request("POST " + t + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(cs, f),
                            List.of("200 KEEP_ALIVE"), false);
                    case 4 -> new Request("GET " + t + " HTTP/1.0" + eol + "Connection: keep-alive" + eol + eol,
                            List.of("200 KEEP_ALIVE_HTTP10"), false);
                    case 5 -> new Request("PUT " + t + " HTTP/1.1" + eol + "Expect: 100-continue" + eol + "Content-Length: "
                            + b.length() + eol + eol + b, b.isEmpty() ? List.of("200 KEEP_ALIVE") : List.of("100", "200 KEEP_ALIVE"), false);
                    case 6 -> new Request(eol + "GET " + t + " HTTP/1.1" + eol + "Connection: upgrade, close" + eol + eol,
                            List.of("200 CLOSE"), true);
                    default -> new Request("GET " + t + " HTTP/1.1" + eol + "Bad Header: x" + eol + eol,
                            List.of("400 malformed header line"), true);
                });
    }

    private static String chunked(List<String> chunks, String filler) {
        StringBuilder b = new StringBuilder();
        for (String c : chunks) {
            if (c.isEmpty()) continue;
            b.append(Integer.toHexString(c.length())).append(filler.length() % 2 == 0 ? "" : ";e=" + filler.length())
                    .append("\r\n").append(c).append("\r\n");
        }
        return b.append("0\r\n").append(filler.isEmpty() ? "" : "T: " + filler + "\r\n").append("\r\n").toString();
    }

    @Property(tries = 300)
    void anySplitOfValidRequestsGetsTheModelsAnswers(@ForAll("streams") List<Request> stream,
                                                   @ForAll @Size(max = 30) List<Integer> cuts) throws Exception {
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (Request r : stream) {
            text.append(r.text());
            expected.addAll(r.answers());
            if (r.closes()) break;   // nothing after a close or a rejection is read
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(expected, feedInPieces(bytes, cuts));
    }

    @Provide
    Arbitrary<List<Request>> streams() {
        return requests().list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 1000)
    void arbitraryBytesNeverCrashNorAnswerTooMuch(@ForAll("noise") byte[] bytes, @ForAll @Size(max = 20) List<Integer> cuts)
            throws Exception {
        List<String> answers = feedInPieces(bytes, cuts);
        int lineFeeds = 0;
        for (byte b : bytes) if (b == '\n') lineFeeds++;
        long responses = answers.stream().filter(a -> a.startsWith("200") || a.startsWith("HEAD")).count();
        assertTrue(responses <= lineFeeds / 2, "a request takes at least two line feeds: " + answers);
        for (int i = 0; i < answers.size(); i++) {
            boolean final_ = !answers.get(i).startsWith("200 KEEP") && !answers.get(i).startsWith("HEAD KEEP")
                    && !answers.get(i).equals("100");
            assertTrue(!final_ || i == answers.size() - 1, "nothing is answered after a close or a rejection: " + answers);
        }
    }

    /** Bytes that look like HTTP often enough to reach every state: fragments of requests mixed with noise. */
    @Provide
    Arbitrary<byte[]> noise() {
        Arbitrary<String> fragment = Arbitraries.oneOf(
                Arbitraries.of("GET / HTTP/1.1", "POST / HTTP/1.0", "HEAD /x HTTP/1.1", "\r\n", "\n", "\r", ":", " ", "\t",
                        "Content-Length: ", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Connection: close",
                        "Connection: keep-alive", "Expect: 100-continue", "0", "5", "ff", ";", "0\r\n\r\n", "\0"),
                Arbitraries.strings().withCharRange((char) 0, (char) 255).ofMaxLength(8));
        return fragment.list().ofMaxSize(60).map(l -> String.join("", l).getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Feeds {@code bytes} in pieces cut at {@code cuts} (positions modulo the length), as reads would bring them. */
    private static List<String> feedInPieces(byte[] bytes, List<Integer> cuts) throws Exception {
        HttpRequestParserTest.Recorder r = new HttpRequestParserTest.Recorder();
        HttpRequestParser p = new HttpRequestParser(r);
        List<Integer> at = new ArrayList<>();
        for (int c : cuts) at.add(bytes.length == 0 ? 0 : Math.floorMod(c, bytes.length));
        at.add(bytes.length);
        at.sort(null);
        int from = 0;
        for (int to : at) {
            if (to <= from) continue;
            // Each read arrives in a buffer of its own, as the server's shared read buffer is reused.
            byte[] piece = java.util.Arrays.copyOfRange(bytes, from, to);
            p.feed(MemorySegment.ofArray(piece), piece.length);
            from = to;
        }
        return r.answers;
    }
}
