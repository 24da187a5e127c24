package io.pollkit.server;

import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 2,000 connect/close cycles (plain closes, closes right after a request, resets, full exchanges) leave
 * this JVM's open fd count where it was, once the server has logged every disconnect; stopping the
 * server then gives back its own fds (listener, poller, waker) too.
 */
@Timeout(60)
class FdLeakTest {
    private static final int CYCLES = 2000, SLACK = 2;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> serversAndBackends() {
        return MaxClientsTest.serversAndBackends();
    }

    static long openFds() {
        return Proc.openFds();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("serversAndBackends")
    void connectCloseCyclesLeakNoFds(ServerKind kind, Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        long beforeStart = openFds();
        RunningServer s = RunningServer.start(kind, b, o -> o.withMaxClients(CYCLES));
        try {
            s.log.drop(l -> l.matches("client \\d+ (connected|disconnected: .*)|client said: .*"));
            long running = openFds();
            byte[] request = switch (kind) {
                case TICK -> "a line\n".getBytes(StandardCharsets.US_ASCII);
                case ECHO -> "echo me\n".getBytes(StandardCharsets.US_ASCII);
                case HTTP -> Client.GET.getBytes(StandardCharsets.US_ASCII);
            };
            long t0 = System.nanoTime();
            for (int i = 0; i < CYCLES; i++) cycle(i % 4, kind, s.port, request);
            long dropped = 2L * CYCLES;   // one connected and one disconnected line per cycle (tick: and a said line for some)
            awaitDropped(s, kind == ServerKind.TICK ? dropped + CYCLES / 2 : dropped);
            long after = openFds();
            System.out.println(kind + "/" + b + ": " + CYCLES + " cycles in " + (System.nanoTime() - t0) / 1_000_000
                    + " ms; fds " + running + " -> " + after);
            assertTrue(Math.abs(after - running) <= SLACK, "open fds went from " + running + " to " + after);
            assertEquals(0, s.server.clientCount());
        } finally {
            s.close();
        }
        long afterStop = openFds();
        assertTrue(Math.abs(afterStop - beforeStart) <= SLACK, "open fds went from " + beforeStart + " before the server to "
                + afterStop + " after it stopped");
    }

    /** One connection: 0 close at once, 1 send then close, 2 reset, 3 a full exchange then close. */
    private static void cycle(int how, ServerKind kind, int port, byte[] request) throws IOException {
        try (Socket c = new Socket()) {
            c.setSoTimeout(10_000);
            c.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            OutputStream out = c.getOutputStream();
            switch (how) {
                case 0 -> { }
                case 1 -> {
                    out.write(request);
                    // A tick still unread at the close would make it a reset, which may discard the line before the
                    // server reads it: half-close and read to the end instead, so every line is logged.
                    if (kind == ServerKind.TICK) drainAfterHalfClose(c);
                }
                case 2 -> c.setSoLinger(true, 0);
                default -> {
                    out.write(request);
                    if (kind != ServerKind.TICK) {
                        int expect = kind == ServerKind.ECHO ? request.length : HttpServer.OK.length();
                        assertEquals(expect, c.getInputStream().readNBytes(expect).length);
                    } else {
                        drainAfterHalfClose(c);
                    }
                }
            }
        }
    }

    private static void drainAfterHalfClose(Socket c) throws IOException {
        c.shutdownOutput();
        c.getInputStream().readAllBytes();   // ticks, then the end of stream once the server has closed
    }

    private static void awaitDropped(RunningServer s, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (s.log.dropped() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " connected/disconnected/said lines, saw " + s.log.dropped()
                        + "; other lines:\n" + s.log.tail());
            }
            Thread.sleep(20);
        }
        Thread.sleep(50);
        assertEquals(n, s.log.dropped(), "log lines:\n" + s.log.tail());
    }
}
