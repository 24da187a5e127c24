package io.pollkit.server;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What only the io_uring completion servers have (the tests they share with the readiness servers run on
 * {@link Engine#all()}): a provided buffer ring that runs dry under many clients at once without losing a byte, and a
 * stop that closes every client, the listener, the ring and its eventfd.
 */
@Timeout(60)
class UringServerTest {
    @BeforeEach
    void needsIoUring(TestInfo info) {
        Engine.COMPLETION.assumeAvailable(info);
    }

    @Test
    void runsOneLoopOnly() {
        // --loops is the readiness model's; the CLI refuses it first, the server itself as well.
        ServerOptions two = Engine.COMPLETION.apply(ServerOptions.defaults()).withPort(0).withLoops(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new UringHttpServer(two));
        assertEquals("the io_uring completion server runs one loop, not 2", e.getMessage());
    }

    @Test
    void manyClientsSendingAtOnceThroughFourSmallBuffersLoseNothing() throws Exception {
        int clients = 40, bytes = 128 * 1024;
        // 4 buffers of 256 bytes for 40 clients: the recvs keep running out (ENOBUFS) and are armed again.
        try (ExecutorService pool = Executors.newFixedThreadPool(2 * clients);
             RunningServer s = RunningServer.start(ServerKind.ECHO, Engine.COMPLETION, o -> o.withMaxClients(100),
                     o -> new UringEchoServer(o, 4, 256))) {
            List<Client> all = new ArrayList<>();
            for (int i = 0; i < clients; i++) all.add(s.connect());
            List<Future<?>> done = new ArrayList<>();
            for (Client c : all) {
                byte[] data = new byte[bytes];
                new Random(c.id).nextBytes(data);
                done.add(pool.submit(() -> {
                    c.send(data);
                    return null;
                }));
                done.add(pool.submit(() -> {
                    assertArrayEquals(data, c.readExactly(bytes), "client " + c.id + "'s bytes, in order");
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(40, TimeUnit.SECONDS);
            s.assertNotDisconnected(all.toArray(Client[]::new));
            assertEquals(clients, s.server.clientCount());
        }
    }

    @Test
    void stoppingClosesEveryClientTheListenerAndTheRingsFds() throws Exception {
        // The JDK's socket classes keep one end of a socketpair open for good (their pre-close marker), opened at
        // first use: use them once before the count, for a run of this test alone.
        try (Socket warmUp = new Socket()) {
            warmUp.bind(null);
        }
        for (ServerKind kind : List.of(ServerKind.ECHO, ServerKind.HTTP)) {
            long before = Proc.openFds();
            RunningServer s = RunningServer.start(kind, Engine.COMPLETION);
            Client one = s.connect(), two = s.connect();
            kind.assertServed(one);
            kind.assertServed(two);
            s.server.stop();
            assertEquals("server stopping", s.awaitDisconnect(one));
            assertEquals("server stopping", s.awaitDisconnect(two));
            assertEquals(-1, one.socket.getInputStream().read(), "the client sees the end of the stream");
            assertEquals(-1, two.socket.getInputStream().read());
            s.close();
            try (Socket late = new Socket()) {
                assertFalse(connects(late, s.port), kind + ": the listener still accepts after stop");
            }
            for (int j = 0; j < 3; j++) s.server.stop();   // after close: nothing happens
            assertEquals(before, Proc.openFds(), kind + ": the ring, its eventfd, the listener and the clients are closed");
        }
    }

    private static boolean connects(Socket s, int port) {
        try {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
