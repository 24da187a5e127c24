package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tick server over loopback TCP, on every backend: ticks, logged lines, over-long lines, misbehaving clients. */
@Timeout(120)
class TickServerTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void severalClientsGetTicksAndTheirLinesAreLogged(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b)) {
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) clients.add(s.connect());
            for (Client c : clients) c.send("hello from " + c.id + "\nsecond line from " + c.id + "\r\n");
            for (Client c : clients) for (int i = 0; i < 3; i++) c.awaitTick();
            for (Client c : clients) {
                s.log.await("client said: hello from " + c.id, RunningServer.WAIT);
                s.log.await("client said: second line from " + c.id, RunningServer.WAIT);   // the \r is dropped
                List<String> mine = s.log.lines().stream().filter(l -> l.endsWith("from " + c.id)).toList();
                assertEquals(List.of("client said: hello from " + c.id, "client said: second line from " + c.id), mine);
            }
            for (Client c : clients) c.close();
            for (Client c : clients) assertEquals("peer closed", s.awaitDisconnect(c));
            assertEquals(0, s.server.clientCount());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theLineLimitExcludesTheLineEndAndLoggedLinesAreEscaped(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b)) {
            Client crlf = s.connect(), over = s.connect(), forger = s.connect();
            String max = "c".repeat(ServerOptions.DEFAULT_MAX_LINE);
            crlf.send(max + "\r\n");                                              // 1024 bytes and CRLF: allowed
            s.log.await("client said: " + max, RunningServer.WAIT);
            over.send(max + "x\r\n");                                             // 1025 bytes: too long
            assertEquals("line longer than 1024 bytes", s.awaitDisconnect(over));
            forger.send("hi\rclient 1 disconnected: forged\u001b[31m\u0000 \\x41 \u202e\n".getBytes(StandardCharsets.UTF_8));
            s.log.await(java.util.regex.Pattern.quote("client said: hi\\x0dclient 1 disconnected: forged\\x1b[31m\\x00 \\\\x41 \\u202e"),
                    RunningServer.WAIT);
            s.assertNotDisconnected(crlf, forger);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void overLongLineDisconnectsOnlyThatClient(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b)) {
            Client exact = s.connect(), tooLong = s.connect(), quiet = s.connect();
            String max = "m".repeat(ServerOptions.DEFAULT_MAX_LINE);
            exact.send(max + "\n");                                               // 1024 bytes: allowed
            tooLong.send("x".repeat(2 * 1024));                                   // 2 KiB, no newline
            assertEquals("line longer than 1024 bytes", s.awaitDisconnect(tooLong));
            tooLong.assertClosedAfterTicks();
            s.log.await("client said: " + max, RunningServer.WAIT);
            for (Client c : List.of(exact, quiet)) for (int i = 0; i < 3; i++) c.awaitTick();
            s.assertNotDisconnected(exact, quiet);
            exact.send("still here\n");
            s.log.await("client said: still here", RunningServer.WAIT);
            assertEquals(2, s.server.clientCount());
        }
    }

    /**
     * Everything at once: three ordinary clients, one flooding lines for about a second, one that never
     * reads (tiny receive window, ticks every millisecond, a small queue cap), one sending a 2 KiB line
     * without a newline, one resetting mid-line. The three misbehaving ones are disconnected for their
     * own reasons; the ordinary clients and the flooder keep getting ticks and have their lines logged (the
 * flooder's at most {@link LineLog#BURST} a second, the rest counted).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void misbehavingClientsDoNotDisturbTheOthers(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        int maxQueued = 1024;
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b, o -> o.withInterval(1).withMaxQueued(maxQueued))) {
            String floodLine = "flood " + "f".repeat(1000);
            s.log.drop(l -> l.equals("client said: " + floodLine));   // counted, not kept
            List<Client> normal = new ArrayList<>();
            for (int i = 0; i < 3; i++) normal.add(s.connect());
            long nonReader = s.connectSmallWindow().id;   // never reads; not the newest client: closing it mid-tick must not upset the tick loop
            Client flooder = s.connect();
            Client longLine = s.connect(), resetter = s.connect();
            List<LineCapture> received = new ArrayList<>();
            for (Client c : normal) received.add(reader(c));
            LineCapture floodReceived = reader(flooder);

            long t0 = System.nanoTime();
            Flood flood = Flood.start(flooder, (floodLine + "\n").getBytes(StandardCharsets.US_ASCII), 1000);
            longLine.send("y".repeat(2 * 1024));
            resetter.send("half a line, then a reset");
            resetter.reset();
            for (Client c : normal) c.send("normal " + c.id + "\n");

            assertEquals("line longer than 1024 bytes", s.awaitDisconnect(longLine));
            String resetReason = s.awaitDisconnect(resetter);
            assertTrue(resetReason.equals("connection reset") || resetReason.equals("peer closed"), resetReason);
            assertEquals("output queue over " + maxQueued + " bytes: client not reading", s.awaitDisconnect(nonReader, Duration.ofSeconds(60)));
            System.out.println("tick/" + b.id() + ": the non-reader was disconnected after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            flood.join();
            assertTrue(flood.sent() > 0, "the flooder sent nothing");

            for (Client c : normal) s.log.await("client said: normal " + c.id, RunningServer.WAIT);
            assertEquals(normal.size(), s.log.count("client said: .*"), "no other lines:\n" + s.log.tail());
            List<LineCapture> all = new ArrayList<>(received);
            all.add(floodReceived);
            for (LineCapture r : all) {
                int before = r.size();
                r.awaitCount(l -> true, before + 3, RunningServer.WAIT, "3 more ticks");
                assertEquals(0, r.count(l -> !l.equals("tick")), r + " got other lines than ticks:\n" + r.tail());
            }
            List<Client> good = new ArrayList<>(normal);
            good.add(flooder);
            s.assertNotDisconnected(good.toArray(Client[]::new));
            assertEquals(4, s.server.clientCount());
            s.assertNoLoopFailures();

            // Every flood line was shown, intact, or counted as not shown; the last count comes with the disconnect.
            // A tick still unread in the flooder's socket makes its close a reset (RFC 1122 4.2.2.13): either is a close.
            flooder.close();
            String floodEnd = s.awaitDisconnect(flooder);
            assertTrue(floodEnd.equals("peer closed") || floodEnd.equals("connection reset"), floodEnd);
            long shownOrCounted = s.log.dropped() + notShown(s, flooder.id);
            assertEquals(flood.units(), shownOrCounted, "flood lines shown (" + s.log.dropped() + ") or counted");
            assertTrue(s.log.dropped() <= LineLog.BURST * (1 + (System.nanoTime() - t0) / 1_000_000_000L),
                    s.log.dropped() + " flood lines shown: more than " + LineLog.BURST + " a second");
        }
    }

    /** The sum of the "client ID: K lines not shown" counts in the log. */
    static long notShown(RunningServer s, long id) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("client " + id + ": (\\d+) lines not shown .*");
        return s.log.lines().stream().map(p::matcher).filter(java.util.regex.Matcher::matches)
                .mapToLong(m -> Long.parseLong(m.group(1))).sum();
    }

    private static LineCapture reader(Client c) {
        LineCapture r = new LineCapture("client " + c.id + " received");
        r.pump(c.in);
        return r;
    }
}
