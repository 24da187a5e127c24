package io.pollkit.server;

import io.pollkit.server.HttpRequestParser.Persistence;
import io.pollkit.server.HttpRequestParser.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9112's message framing, rule by rule, as {@link HttpRequestParser} applies it. */
class HttpRequestParserTest {
    /** Records what the parser asks for: "100", "200 KEEP_ALIVE", "HEAD CLOSE", "400 why". */
    static final class Recorder implements HttpRequestParser.Exchange {
        final List<String> answers = new ArrayList<>();

        @Override
        public void proceed() {
            answers.add("100");
        }

        @Override
        public void respond(boolean head, Persistence persistence) {
            answers.add((head ? "HEAD " : "200 ") + persistence);
        }

        @Override
        public void reject(Status status, String why) {
            answers.add(status.line.substring(0, 3) + " " + why);
        }
    }

    /** The answers to {@code stream} fed in one piece. */
    static List<String> answers(String stream) throws Exception {
        Recorder r = new Recorder();
        HttpRequestParser p = new HttpRequestParser(r);
        byte[] b = stream.getBytes(StandardCharsets.ISO_8859_1);
        p.feed(MemorySegment.ofArray(b), b.length);
        return r.answers;
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void keepAliveAndPipelining() throws Exception {
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE", "200 KEEP_ALIVE"), answers(GET.repeat(3)));
    }

    @Test
    void contentLengthBodiesAreSkippedAndTheAnswerWaitsForThem() throws Exception {
        assertEquals(List.of(), answers("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345"));
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"),
                answers("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789" + GET));
        // The body's bytes are not parsed as a request, however they look.
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"),
                answers("POST / HTTP/1.1\r\nContent-Length: " + GET.length() + "\r\n\r\n" + GET + GET));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+5", "-5", "5 5", "0x5", "", "5,5", "1234567890123456789", " "})
    void contentLengthIsDigitsOnly(String value) throws Exception {
        assertEquals(List.of("400 bad Content-Length"), answers("POST / HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\n"));
    }

    @Test
    void contentLengthFields() throws Exception {
        assertEquals(List.of("400 conflicting Content-Length"),
                answers("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx" + GET));
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"),
                answers("POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx" + GET));
        assertEquals(List.of("200 KEEP_ALIVE"), answers("POST / HTTP/1.1\r\nContent-Length:\t007 \r\n\r\n1234567"));
    }

    @Test
    void transferEncodingWithContentLengthIsRefused() throws Exception {
        assertEquals(List.of("400 Transfer-Encoding with Content-Length"),
                answers("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        assertEquals(List.of("400 Transfer-Encoding with Content-Length"),
                answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"));
    }

    @Test
    void chunkedBodiesAreReadWhole() throws Exception {
        String chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n1A;name=value;x\r\n" + "y".repeat(26) + "\r\n0\r\nTrailer: t\r\nOther: u\r\n\r\n";
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"), answers(chunked + GET));
        assertEquals(List.of("200 KEEP_ALIVE"), answers("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n"));
        // A chunk's data is data, even when it looks like the end.
        assertEquals(List.of(), answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n0\r\n\r\n\r\n"));
        assertEquals(List.of("200 KEEP_ALIVE"), answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n0\r\n\r\n\r\n0\r\n\r\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "\r\n", "g\r\n",
            "0\r\n\n", "0\r\nTrailer: t\n\r\n", " 5\r\nhello\r\n0\r\n\r\n", ";x\r\n"})
    void malformedChunkedFramingIsRefused(String body) throws Exception {
        List<String> a = answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body + GET);
        assertEquals(1, a.size(), a.toString());
        assertTrue(a.getFirst().startsWith("400 "), a.toString());
    }

    @Test
    void chunkSizesAreBounded() throws Exception {
        assertEquals(List.of("400 chunk size too large"),
                answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"));
        assertEquals(List.of("400 chunk extension too long"),
                answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + "x".repeat(HttpRequestParser.MAX_CHUNK_LINE)));
        assertEquals(List.of("431 trailer over " + HttpRequestParser.MAX_HEAD + " bytes"),
                answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + "x".repeat(HttpRequestParser.MAX_HEAD)));
    }

    @Test
    void transferCodings() throws Exception {
        assertEquals(List.of("501 unsupported transfer coding"), answers("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"));
        assertEquals(List.of("501 unsupported transfer coding"), answers("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
        assertEquals(List.of("400 chunked applied twice"),
                answers("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertEquals(List.of("400 empty Transfer-Encoding"), answers("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n"));
        assertEquals(List.of("400 Transfer-Encoding in HTTP/1.0"),
                answers("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    }

    @Test
    void whitespaceBeforeTheColonAndObsoleteFoldingAreRefused() throws Exception {
        assertEquals(List.of("400 malformed header line"), answers("GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"));
        assertEquals(List.of("400 malformed header line"), answers("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"));
        assertEquals(List.of("400 obsolete line folding"), answers("GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\n\r\n"));
        assertEquals(List.of("400 obsolete line folding"), answers("GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n"));
        assertEquals(List.of("400 control byte in a header value"), answers("GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n"));
        assertEquals(List.of("400 control byte in a header value"), answers("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"));
    }

    @Test
    void headGetsNoBody() throws Exception {
        assertEquals(List.of("HEAD KEEP_ALIVE", "200 KEEP_ALIVE"), answers("HEAD / HTTP/1.1\r\n\r\n" + GET));
    }

    @Test
    void connectionIsAListAndCloseWins() throws Exception {
        assertEquals(List.of("200 CLOSE"), answers("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n" + GET));
        assertEquals(List.of("200 CLOSE"), answers("GET / HTTP/1.1\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n" + GET));
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"), answers("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n" + GET));
    }

    @Test
    void http10ClosesUnlessItAsksForKeepAlive() throws Exception {
        assertEquals(List.of("200 CLOSE"), answers("GET / HTTP/1.0\r\n\r\n" + GET));
        assertEquals(List.of("200 KEEP_ALIVE_HTTP10", "200 KEEP_ALIVE"),
                answers("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET));
        assertEquals(List.of("200 CLOSE"), answers("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n" + GET));
    }

    @Test
    void emptyLinesBeforeARequestLineAreIgnored() throws Exception {
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"), answers("\r\n\r\n\n" + GET + "\r\n" + GET));
        assertEquals(List.of("400 malformed request line"), answers("\r" + GET));
    }

    @Test
    void expectContinue() throws Exception {
        assertEquals(List.of("100", "200 KEEP_ALIVE"),
                answers("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nab"));
        assertEquals(List.of("100", "200 KEEP_ALIVE"),
                answers("POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        assertEquals(List.of("200 KEEP_ALIVE"), answers("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"));   // no body, no 100
        assertEquals(List.of("200 CLOSE"), answers("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"));
        assertEquals(List.of("417 unsupported expectation"), answers("POST / HTTP/1.1\r\nExpect: something\r\n\r\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /\r\n\r\n", "get / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
            "hello\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n", "GET /\u0001 HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\rX\r\n\r\n",
            "GET / HTTP/1.10\r\n\r\n", ": x\r\n\r\n"})
    void malformedRequestLines(String request) throws Exception {
        assertEquals(List.of("400 malformed request line"), answers(request + GET));
    }

    @Test
    void headsAreBounded() throws Exception {
        String big = "GET / HTTP/1.1\r\nX: " + "x".repeat(HttpRequestParser.MAX_HEAD) + "\r\n\r\n";
        assertEquals(List.of("431 request head over " + HttpRequestParser.MAX_HEAD + " bytes"), answers(big + GET));
        // Exactly MAX_HEAD bytes, blank line included, is accepted.
        String prefix = "GET / HTTP/1.1\r\nX: ";
        String fits = prefix + "x".repeat(HttpRequestParser.MAX_HEAD - prefix.length() - 4) + "\r\n\r\n";
        assertEquals(HttpRequestParser.MAX_HEAD, fits.length());
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE"), answers(fits + GET));
    }

    @Test
    void bareLineFeedsEndHeadLines() throws Exception {
        assertEquals(List.of("200 KEEP_ALIVE", "200 KEEP_ALIVE", "200 KEEP_ALIVE"),
                answers("GET / HTTP/1.1\nHost: x\n\n" + "GET / HTTP/1.1\nHost: x\r\n\n" + "GET / HTTP/1.1\r\nHost: x\n\r\n"));
    }

    @Test
    void nothingIsReadAfterARejectionOrAClose() throws Exception {
        assertEquals(List.of("400 malformed request line"), answers("BAD\r\n\r\n" + GET + GET));
        assertEquals(List.of("200 CLOSE"), answers("GET / HTTP/1.1\r\nConnection: close\r\n\r\nBAD\r\n\r\n"));
    }
}
