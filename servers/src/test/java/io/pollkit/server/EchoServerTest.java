package io.pollkit.server;

import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The echo server over loopback TCP, on every backend: each client gets exactly its own bytes back. */
@Timeout(30)
class EchoServerTest {
    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void severalClientsAtOnceEachGetTheirOwnBytesBack(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (ExecutorService pool = Executors.newFixedThreadPool(10);
             RunningServer s = RunningServer.start(ServerKind.ECHO, b)) {
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) clients.add(s.connect());
            List<Future<?>> done = new ArrayList<>();
            for (Client c : clients) {
                byte[] data = new byte[256 * 1024];
                new Random(c.id).nextBytes(data);
                done.add(pool.submit(() -> {
                    c.send(data);
                    return null;
                }));
                done.add(pool.submit(() -> {
                    assertArrayEquals(data, c.readExactly(data.length), c + " got other bytes back");
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(20, TimeUnit.SECONDS);
            for (Client c : clients) c.assertEchoes("and a short line from " + c.id + "\n");
            for (Client c : clients) c.socket.shutdownOutput();   // half-close: the server finishes, then closes
            for (Client c : clients) {
                assertEquals(-1, c.in.read(), c + ": end of stream after its half-close");
                assertEquals("peer closed", s.awaitDisconnect(c));
            }
        }
    }

    /**
     * Everything at once: three ordinary clients doing round trips; one flooding for about a second as
     * fast as it can while reading everything back (at most 1 MiB ahead of its reader); one that sends a lot and never reads (1 KiB receive buffer), which is disconnected
     * for its queue; one sending a 2 KiB line without a newline, which is simply echoed; one resetting
     * mid-stream. The ordinary clients and the flooder get every byte back, in order.
     */
    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void misbehavingClientsDoNotDisturbTheOthers(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        AtomicBoolean chaos = new AtomicBoolean(true);
        try (ExecutorService pool = Executors.newCachedThreadPool();
             RunningServer s = RunningServer.start(ServerKind.ECHO, b)) {   // closed first: its clients' sockets end every task
            List<Client> normal = new ArrayList<>();
            for (int i = 0; i < 3; i++) normal.add(s.connect());
            Client nonReader = s.connect(1024), flooder = s.connect(), longLine = s.connect(), resetter = s.connect();

            List<Future<Integer>> roundTrips = new ArrayList<>();
            for (Client c : normal) roundTrips.add(pool.submit(roundTrips(c, chaos)));
            Flood cutOff = Flood.start(nonReader, new byte[64 * 1024], 10_000);
            byte[] unit = new byte[251];
            for (int i = 0; i < unit.length; i++) unit[i] = (byte) i;
            AtomicLong floodTaken = new AtomicLong();
            Future<Long> floodBack = pool.submit(() -> flooder.readRepeated(unit, floodTaken));
            Flood flood = Flood.windowed(flooder, unit, 1000, floodTaken::get, 1 << 20);

            byte[] line = "z".repeat(2 * 1024).getBytes(StandardCharsets.US_ASCII);
            longLine.send(line);
            assertArrayEquals(line, longLine.readExactly(line.length), "the 2 KiB line without a newline comes back");
            resetter.send(new byte[100 * 1024]);
            resetter.reset();

            assertEquals("output queue over " + ServerOptions.DEFAULT_MAX_QUEUED + " bytes: client not reading",
                    s.awaitDisconnect(nonReader.id, Duration.ofSeconds(15)));
            assertNotNull(cutOff.awaitCutOff(), "the non-reader's writes should fail once the server hangs up");
            String resetReason = s.awaitDisconnect(resetter);
            assertTrue(resetReason.equals("connection reset") || resetReason.equals("peer closed"), resetReason);

            flood.join();
            System.out.println("echo/" + b.id() + ": the flooder sent " + flood.sent() / 1024 + " KiB in about a second");
            flooder.socket.shutdownOutput();
            assertEquals(flood.sent(), floodBack.get(15, TimeUnit.SECONDS), "the flooder got every byte back");
            assertEquals("peer closed", s.awaitDisconnect(flooder));

            chaos.set(false);
            for (Future<Integer> f : roundTrips) assertTrue(f.get(15, TimeUnit.SECONDS) > 0);
            for (Client c : normal) c.assertEchoes("after the storm " + c.id + "\n");
            longLine.assertEchoes("and a normal line\n");
            s.assertNotDisconnected(normal.toArray(Client[]::new));
            s.assertNotDisconnected(longLine);
            assertEquals(4, s.server.clientCount());
        } finally {
            chaos.set(false);
        }
    }

    /**
     * A client that sends, half-closes and only then reads, through a small window: the echo waits in the
     * server's queue meanwhile. The server sends all of it, then closes ("peer closed").
     */
    @ParameterizedTest
    @MethodSource("io.pollkit.server.Engine#all")
    void afterAHalfCloseTheQueuedEchoIsSentThenTheConnectionCloses(Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(ServerKind.ECHO, b)) {
            SmallWindowClient c = s.connectSmallWindow();
            byte[] data = new byte[48 * 1024];   // under the 64 KiB cap, over what the kernel holds for this client
            new Random(7).nextBytes(data);
            c.send(data);
            c.shutdownOutput();
            Thread.sleep(300);
            assertFalse(s.disconnected(c.id), "closed before the queue was sent:\n" + s.log.tail());
            assertArrayEquals(data, c.readToEnd(RunningServer.WAIT));
            assertEquals("peer closed", s.awaitDisconnect(c.id));
        }
    }

    /** Round trips of a numbered line until {@code go} turns false; returns how many. */
    static Callable<Integer> roundTrips(Client c, AtomicBoolean go) {
        return () -> {
            int n = 0;
            do {
                c.assertEchoes("client " + c.id + " round trip " + n++ + "\n");
                Thread.sleep(5);
            } while (go.get());
            return n;
        };
    }
}
