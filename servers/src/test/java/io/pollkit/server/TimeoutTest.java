package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * --header-timeout and --idle-timeout over real sockets, on every backend: each closes exactly the connections
 * that stall, with its reason, while a well-behaved client goes on being served. Durations are short, the checks
 * are of behaviour and order: who is closed, why, with what answer, and never before its time (a loaded machine
 * can only make a close later, so "not before" holds however slow it is).
 */
@Timeout(60)
class TimeoutTest {
    private static final Duration LONG = Duration.ofSeconds(20);

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void httpHeadTimeoutClosesSilentPartialAndTricklingHeadsButNotAKeptAliveOne(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b,
                o -> o.withHeaderTimeout(300).withIdleTimeout(LONG.toMillis()))) {
            Client good = s.connect(), keptAlive = s.connect();
            keptAlive.assertHttpHello();                          // then silent: idle, which is not a head's wait
            long start = System.nanoTime();
            Client silent = s.connect(), partial = s.connect(), trickle = s.connect();
            partial.send("GET / HTTP/1.1\r\nHost: test\r\n");
            trickle.send("GET / HTTP/1.1\r\nX-Slow: ");
            boolean trickling = true;
            int served = 0;
            // A byte of the trickling head every 20 ms: it is never silent for 300 ms, and is closed all the same.
            while (!(s.disconnected(silent) && s.disconnected(partial) && s.disconnected(trickle)) || served < 5) {
                if (System.nanoTime() - start > LONG.toNanos()) fail("not every stalled client was closed:\n" + s.log.tail());
                good.assertHttpHello();
                served++;
                if (trickling) trickling = sendQuietly(trickle, "a");
                Thread.sleep(20);
            }
            String head = "request head not complete within 300ms";
            assertEquals(head, s.awaitDisconnect(silent));
            assertEquals(head, s.awaitDisconnect(partial));
            assertEquals(head, s.awaitDisconnect(trickle));
            silent.assertClosedByServer();                       // sent nothing: closed without an answer
            assertEquals("HTTP/1.1 408 Request Timeout", partial.readResponse().status());
            partial.assertClosedByServer();
            assertEquals("HTTP/1.1 408 Request Timeout", trickle.readResponse().status());
            trickle.assertClosedByServer();
            assertTrue(System.nanoTime() - start >= 300_000_000L, "closed before the head timeout");

            s.assertNotDisconnected(good, keptAlive);
            keptAlive.assertHttpHello();
            good.assertHttpHello();
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void httpIdleTimeoutClosesAKeptAliveConnectionAfterItsResponseAndNotBefore(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b, o -> o.withHeaderTimeout(LONG.toMillis()).withIdleTimeout(1000))) {
            Client good = s.connect(), fresh = s.connect(), idle = s.connect();
            long sent = System.nanoTime();
            idle.assertHttpHello();
            // A fresh connection waits for its head (20 s here), not for the idle timeout: it outlives the idle one.
            awaitWhileServing(s, good, () -> s.disconnected(idle));
            assertEquals("idle for 1s", s.awaitDisconnect(idle));
            idle.assertClosedByServer();                         // no 408: it had no request under way
            assertTrue(System.nanoTime() - sent >= 1_000_000_000L, "closed before the idle timeout");
            s.assertNotDisconnected(good, fresh);
            fresh.assertHttpHello();
            good.assertHttpHello();
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void httpBodyMayNotPauseLongerThanTheHeadTimeoutButMayTakeLongerInAll(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b, o -> o.withHeaderTimeout(1000).withIdleTimeout(LONG.toMillis()))) {
            Client good = s.connect(), stalled = s.connect(), slow = s.connect();
            long start = System.nanoTime();
            stalled.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n0123456789");
            slow.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 20\r\n\r\n");
            // 20 bytes 100 ms apart: 2 s in all, twice the timeout, but never a pause of it.
            for (int i = 0; i < 20; i++) {
                slow.send("b");
                good.assertHttpHello();
                Thread.sleep(100);
            }
            slow.readResponse().assertHello();
            awaitWhileServing(s, good, () -> s.disconnected(stalled));
            assertEquals("request body stalled: nothing for 1s", s.awaitDisconnect(stalled));
            assertEquals("HTTP/1.1 408 Request Timeout", stalled.readResponse().status());
            stalled.assertClosedByServer();
            assertTrue(System.nanoTime() - start >= 1_000_000_000L, "closed before the timeout");
            s.assertNotDisconnected(good, slow);
            slow.assertHttpHello();
        }
    }

    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void echoClosesClientsIdlePastTheIdleTimeoutOnly(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.ECHO, b, o -> o.withIdleTimeout(1000))) {
            Client chatty = s.connect(), silent = s.connect(), once = s.connect();
            long start = System.nanoTime();
            once.assertEchoes("just once\n");
            long sent = System.nanoTime();
            // The chatty one sends every 100 ms, for longer than the timeout.
            for (int i = 0; i < 15 || !(s.disconnected(silent) && s.disconnected(once)); i++) {
                if (System.nanoTime() - start > LONG.toNanos()) fail("the idle clients were not closed:\n" + s.log.tail());
                chatty.assertEchoes("line " + i + "\n");
                Thread.sleep(100);
            }
            assertEquals("idle for 1s", s.awaitDisconnect(silent));
            assertEquals("idle for 1s", s.awaitDisconnect(once));
            silent.assertClosedByServer();
            once.assertClosedByServer();
            assertTrue(System.nanoTime() - sent >= 1_000_000_000L, "closed before the idle timeout");
            s.assertNotDisconnected(chatty);
            chatty.assertEchoes("still here\n");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void tickKeepsSilentClientsWhateverTheTimeouts(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b, o -> o.withInterval(50).withHeaderTimeout(100).withIdleTimeout(100))) {
            List<Client> silent = List.of(s.connect(), s.connect());
            for (int i = 0; i < 20; i++) for (Client c : silent) c.awaitTick();   // 1 s at least: ten idle timeouts
            s.assertNotDisconnected(silent.toArray(Client[]::new));
        }
    }

    /** Serves {@code good} every 20 ms until {@code done}, failing after {@link #LONG}. */
    private static void awaitWhileServing(RunningServer s, Client good, BooleanSupplier done) throws Exception {
        long start = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - start > LONG.toNanos()) fail("waited " + LONG + ":\n" + s.log.tail());
            good.assertHttpHello();
            Thread.sleep(20);
        }
    }

    /** Sends, or returns false once the server has closed the connection. */
    private static boolean sendQuietly(Client c, String text) {
        try {
            c.send(text);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
