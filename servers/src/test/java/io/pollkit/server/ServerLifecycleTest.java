package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Starting and stopping: stop() is safe from any thread at any time, also while the loop is shutting
 * down by itself and after it has closed (a second SIGTERM), and it closes every client with a log line.
 */
@Timeout(30)
class ServerLifecycleTest {
    /**
     * A loop that wakes every millisecond often sees stop()'s flag before stop() has sent its wakeup, and
     * closes its poller; the wakeup then came too late. It must do nothing, not fail on (or write to) a
     * closed fd whose number another file may have taken.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void stopRacingTheLoopsOwnShutdownAndStopAfterCloseAreHarmless(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        for (int i = 0; i < 20; i++) {
            RunningServer s = RunningServer.start(ServerKind.TICK, b, o -> o.withInterval(1));
            Client c = s.connect();
            c.awaitTick();
            s.close();   // stop() must not throw, the thread must end, no loop failures
            assertEquals("server stopping", s.awaitDisconnect(c));
            for (int j = 0; j < 3; j++) s.server.stop();   // after close: nothing happens
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stoppingClosesEveryClientAndTheListener(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        for (ServerKind kind : ServerKind.values()) {
            RunningServer s = RunningServer.start(kind, b);
            Client one = s.connect(), two = s.connect();
            kind.assertServed(one);
            s.server.stop();
            assertEquals("server stopping", s.awaitDisconnect(one));
            assertEquals("server stopping", s.awaitDisconnect(two));
            one.assertClosedAfterTicks();
            two.assertClosedAfterTicks();
            s.close();
            try (java.net.Socket late = new java.net.Socket()) {
                assertFalse(connects(late, s.port), kind + ": the listener still accepts after stop");
            }
        }
    }

    private static boolean connects(java.net.Socket s, int port) {
        try {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
