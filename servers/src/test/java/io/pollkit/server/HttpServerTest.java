package io.pollkit.server;

import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP/1.1 hello server over loopback TCP, on every backend. */
@Timeout(30)
class HttpServerTest {
    private static final String GET = Client.GET;
    private static final byte[] OK = HttpServer.OK.getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void keepAliveAndPipelinedRequestsFromSeveralClientsAtOnce(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (ExecutorService pool = Executors.newFixedThreadPool(4);
             RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) clients.add(s.connect());
            List<Future<?>> done = new ArrayList<>();
            for (Client c : clients) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) c.assertHttpHello();              // keep-alive: one at a time
                    c.send(GET.repeat(20));                                        // pipelined: 20 in one write
                    for (int i = 0; i < 20; i++) c.readResponse().assertHello();
                    c.send(GET.repeat(5) + "BAD\r\n\r\n" + GET);                   // the 400 comes 6th, then the close
                    for (int i = 0; i < 5; i++) c.readResponse().assertHello();
                    assertEquals("HTTP/1.1 400 Bad Request", c.readResponse().status());
                    c.assertClosedByServer();
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(20, TimeUnit.SECONDS);
            for (Client c : clients) assertEquals("malformed request line", s.awaitDisconnect(c));
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void theResponseIsExactlyTheHelloResponse(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            Client c = s.connect();
            c.send(GET);
            assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n",
                    new String(c.readExactly(OK.length), StandardCharsets.US_ASCII));
            c.send("GET /any/path?q=1 HTTP/1.1\nHost: bare-newlines\n\n");                 // bare \n line ends too
            c.readResponse().assertHello();
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void malformedRequestsGet400ThenClose(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            for (String bad : List.of("GET /\r\n\r\n", "get / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                    "GET  / HTTP/1.1\r\n\r\n", "hello\r\n\r\n")) {
                Client c = s.connect();
                c.send(bad);
                assertEquals("HTTP/1.1 400 Bad Request", c.readResponse().status(), bad);
                c.assertClosedByServer();
                assertEquals("malformed request line", s.awaitDisconnect(c), bad);
            }
            Client c = s.connect();
            c.send("GET / HTTP/1.1\r\nno colon here\r\n\r\n");
            assertEquals("HTTP/1.1 400 Bad Request", c.readResponse().status());
            c.assertClosedByServer();
            assertEquals("malformed header line", s.awaitDisconnect(c));
            Client d = s.connect();
            d.send("POST / HTTP/1.1\r\nContent-Length: lots\r\n\r\n");
            assertEquals("HTTP/1.1 400 Bad Request", d.readResponse().status());
            d.assertClosedByServer();
            assertEquals("bad Content-Length", s.awaitDisconnect(d));
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void aHeadOfExactly8KiBIsServedOneByteMoreGets431(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            Client c = s.connect();
            c.send(head(HttpRequestParser.MAX_HEAD) + head(HttpRequestParser.MAX_HEAD));
            c.readResponse().assertHello();
            c.readResponse().assertHello();
            c.send(head(HttpRequestParser.MAX_HEAD + 1));
            assertEquals("HTTP/1.1 431 Request Header Fields Too Large", c.readResponse().status());
            c.assertClosedByServer();
            assertEquals("request head over 8192 bytes", s.awaitDisconnect(c));
        }
    }

    /** A GET whose head, blank line included, is {@code length} bytes. */
    private static String head(int length) {
        String start = "GET / HTTP/1.1\r\nX-Pad: ", end = "\r\n\r\n";
        return start + "p".repeat(length - start.length() - end.length()) + end;
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void connectionCloseGetsTheResponseThenClose(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            Client c = s.connect();
            c.assertHttpHello();
            c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + GET);   // the request after it is ignored
            c.readResponse().assertHello();
            c.assertClosedByServer();
            assertEquals("Connection: close", s.awaitDisconnect(c));

            Client old = s.connect();                                                  // HTTP/1.0 closes by default
            old.send("GET / HTTP/1.0\r\n\r\n");
            old.readResponse().assertHello();
            old.assertClosedByServer();
            assertEquals("Connection: close", s.awaitDisconnect(old));

            Client keep = s.connect();                                                 // ... unless it asks to keep alive
            keep.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            keep.readResponse().assertHello();
            keep.assertHttpHello();
            s.assertNotDisconnected(keep);
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void aContentLengthBodyIsSkipped(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            Client c = s.connect();
            c.send("POST /form HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello=world" + GET);   // body and next request in one write
            c.readResponse().assertHello();
            c.readResponse().assertHello();

            String looksLikeARequest = "GET /not-a-request HTTP/1.1\r\n\r\n";             // a body is never parsed
            c.send("PUT / HTTP/1.1\r\ncontent-length: " + looksLikeARequest.length() + "\r\n\r\n" + looksLikeARequest + GET);
            c.readResponse().assertHello();
            c.readResponse().assertHello();

            c.send("POST / HTTP/1.1\r\nContent-Length: 20000\r\n\r\n");                   // a body in pieces: the
            c.send("x".repeat(12_000));                                                     // answer comes once it
            c.send("y".repeat(7_999));                                                      // is read whole
            c.send("z" + GET);
            c.readResponse().assertHello();
            c.readResponse().assertHello();
            c.socket.setSoTimeout(300);
            assertEquals(0, c.in.available(), "one response per request, none for the body");
            s.assertNotDisconnected(c);
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void chunkedBodiesHeadExpectContinueAndConnectionHeaders(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            Client c = s.connect();
            c.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");     // a chunked body in pieces
            c.send("lo\r\n3;ext=1\r\n" + GET.substring(0, 3) + "\r\n0\r\nTrailer: x\r");
            c.send("\n\r\n" + GET);
            c.readResponse().assertHello();
            c.readResponse().assertHello();

            c.send("HEAD / HTTP/1.1\r\n\r\n" + GET);                                      // HEAD: headers, no body
            Client.Response head = c.readResponse(true);
            assertEquals("HTTP/1.1 200 OK", head.status());
            assertEquals("6", head.headers().get("content-length"));
            c.readResponse().assertHello();

            c.send("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", c.readResponse(true).status());
            c.send("body");
            c.readResponse().assertHello();

            c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");                  // 1.0 keep-alive is said
            Client.Response kept = c.readResponse();
            kept.assertHello();
            assertEquals("keep-alive", kept.headers().get("connection"));
            c.send("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n");
            Client.Response last = c.readResponse();
            last.assertHello();
            assertEquals("close", last.headers().get("connection"));
            c.assertClosedByServer();
            assertEquals("Connection: close", s.awaitDisconnect(c));

            Client gz = s.connect();
            gz.send("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
            assertEquals("HTTP/1.1 501 Not Implemented", gz.readResponse().status());
            gz.assertClosedByServer();
            assertEquals("unsupported transfer coding", s.awaitDisconnect(gz));

            Client smuggler = s.connect();
            smuggler.send("POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + GET);
            assertEquals("HTTP/1.1 400 Bad Request", smuggler.readResponse().status());
            smuggler.assertClosedByServer();
            assertEquals("Transfer-Encoding with Content-Length", s.awaitDisconnect(smuggler));
        }
    }

    /**
     * Everything at once: three keep-alive clients; one pipelining requests as fast as it can for about a
     * second while reading every response (at most 256 KiB of requests ahead); one pipelining a lot and never
     * reading (1 KiB receive buffer), disconnected for its queue; one sending a 9 KiB head without its blank
     * line (431, then the close); one resetting mid-request. Every answered request gets its 200, in order.
     */
    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void misbehavingClientsDoNotDisturbTheOthers(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        AtomicBoolean chaos = new AtomicBoolean(true);
        try (ExecutorService pool = Executors.newCachedThreadPool();
             RunningServer s = RunningServer.start(ServerKind.HTTP, b)) {
            List<Client> normal = new ArrayList<>();
            for (int i = 0; i < 3; i++) normal.add(s.connect());
            Client nonReader = s.connect(1024), flooder = s.connect(), bigHead = s.connect(), resetter = s.connect();

            List<Future<Integer>> keepAlive = new ArrayList<>();
            for (Client c : normal) {
                keepAlive.add(pool.submit(() -> {
                    int n = 0;
                    do {
                        c.assertHttpHello();
                        n++;
                        Thread.sleep(5);
                    } while (chaos.get());
                    return n;
                }));
            }
            byte[] request = ("GET /flood HTTP/1.1\r\nHost: flood\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            Flood cutOff = Flood.start(nonReader, request, 10_000);
            flooder.assertHttpHello();
            AtomicLong responseBytes = new AtomicLong();
            Future<Long> floodBack = pool.submit(() -> flooder.readRepeated(OK, responseBytes));
            Flood flood = Flood.windowed(flooder, request, 1000, () -> responseBytes.get() / OK.length * request.length, 256 * 1024);

            bigHead.send("GET / HTTP/1.1\r\nX-Big: " + "a".repeat(9 * 1024));
            assertEquals("HTTP/1.1 431 Request Header Fields Too Large", bigHead.readResponse().status());
            bigHead.assertClosedByServer();
            assertEquals("request head over 8192 bytes", s.awaitDisconnect(bigHead));
            resetter.send("GET / HTTP/1.1\r\nHost: hal");
            resetter.reset();

            assertEquals("output queue over " + ServerOptions.DEFAULT_MAX_QUEUED + " bytes: client not reading",
                    s.awaitDisconnect(nonReader.id, Duration.ofSeconds(15)));
            assertNotNull(cutOff.awaitCutOff(), "the non-reader's writes should fail once the server hangs up");
            String resetReason = s.awaitDisconnect(resetter);
            assertTrue(resetReason.equals("connection reset") || resetReason.equals("peer closed"), resetReason);

            flood.join();
            flooder.socket.shutdownOutput();   // the half-close: every response is flushed, then the server closes
            long requests = flood.units();
            assertEquals(requests * OK.length, floodBack.get(15, TimeUnit.SECONDS), "one 200 per flood request, in order");
            assertEquals("peer closed", s.awaitDisconnect(flooder));
            System.out.println("http/" + b.id() + ": the flooder got " + requests + " responses in about a second");

            chaos.set(false);
            for (Future<Integer> f : keepAlive) assertTrue(f.get(15, TimeUnit.SECONDS) > 0);
            for (Client c : normal) c.assertHttpHello();
            s.assertNotDisconnected(normal.toArray(Client[]::new));
            assertEquals(3, s.server.clientCount());
        } finally {
            chaos.set(false);
        }
    }
}
