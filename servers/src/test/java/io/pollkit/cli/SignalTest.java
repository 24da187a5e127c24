package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.uring.Availability;
import io.pollkit.server.Backends;
import io.pollkit.server.ChildJvm;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pollkit tick} in a child JVM: SIGTERM (and SIGINT) close every client, logging
 * "client N disconnected: server stopping", and the process exits 0.
 */
@Timeout(30)
class SignalTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void sigtermStopsTheServerCleanly(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        stopsCleanly(b, false);
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = "EPOLL")
    void sigintStopsTheServerCleanly(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        stopsCleanly(b, true);
    }

    @Test
    void sigtermStopsTheIoUringCompletionServerCleanly(TestInfo info) throws Exception {
        String reason = Availability.unavailableReason();
        if (reason != null) Backends.skip(info, reason);
        try (ChildJvm child = ChildJvm.start(Main.class.getName(), List.of("http", "--port=0", "--model=completion"))) {
            int port = child.awaitPort("io_uring model=completion");
            try (Socket s = new Socket()) {
                s.setSoTimeout(10_000);
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 OK", in.readLine());
                child.sigterm();
                assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), "exit code; stderr:\n" + child.err.tail());
                assertEquals(1, child.err.count("client 1 disconnected: server stopping"), child.err.tail());
                assertEquals(List.of("listening on 127.0.0.1:" + port + " backend=io_uring model=completion"), child.out.lines());
            }
        }
    }

    private static void stopsCleanly(Backend b, boolean sigint) throws Exception {
        try (ChildJvm child = ChildJvm.start(Main.class.getName(),
                List.of("tick", "--port=0", "--interval=100", "--backend=" + b.id()))) {
            int port = child.awaitPort(b.id());
            try (Socket s = new Socket()) {
                s.setSoTimeout(10_000);
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                child.err.await("client 1 connected", Duration.ofSeconds(10));
                assertEquals("tick", in.readLine());
                if (sigint) {
                    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(child.process.pid())).start();
                    assertEquals(0, kill.waitFor(), "kill -INT");
                } else {
                    child.sigterm();
                }
                assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), "exit code; stderr:\n" + child.err.tail());
                assertEquals(1, child.err.count("client 1 disconnected: server stopping"), child.err.tail());
                for (String line; (line = in.readLine()) != null; ) assertEquals("tick", line);   // then end of stream
                assertEquals(List.of("listening on 127.0.0.1:" + port + " backend=" + b.id()), child.out.lines());
                assertTrue(child.err.lines().stream().allMatch(l -> l.matches("client 1 (connected|disconnected: server stopping)")),
                        "stderr:\n" + child.err.tail());
            }
        }
    }

    /** With --loops=3, SIGTERM stops every loop: each loop's clients are told, and the process exits 0. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void sigtermStopsEveryLoop(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (ChildJvm child = ChildJvm.start(Main.class.getName(),
                List.of("echo", "--port=0", "--loops=3", "--accept=handoff", "--backend=" + b.id()))) {
            int port = child.awaitPort(b.id());
            List<Socket> clients = new java.util.ArrayList<>();
            try {
                for (int i = 1; i <= 6; i++) {
                    Socket s = new Socket();
                    clients.add(s);
                    s.setSoTimeout(10_000);
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    child.err.await("client " + i + " connected", Duration.ofSeconds(10));
                    s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("hi", new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine());
                }
                child.sigterm();
                assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), "exit code; stderr:\n" + child.err.tail());
                assertEquals(6, child.err.count("client \\d disconnected: server stopping"), child.err.tail());
                assertEquals(1, child.err.count("clients served by each of the 3 loops: 2 2 2"), child.err.tail());
                for (Socket s : clients) assertEquals(-1, s.getInputStream().read(), "closed by the stop");
            } finally {
                for (Socket s : clients) s.close();
            }
        }
    }

    /**
     * Out of fds while opening its loops (RLIMIT_NOFILE 128 for 200 loops, a waker fd each), the server says which loop failed and
     * why, on one line, and exits 1: never a server with only some of its loops.
     */
    @org.junit.jupiter.api.Test
    void aLoopThatCannotOpenEndsTheStartWithExit1() throws Exception {
        try (ChildJvm child = ChildJvm.start(List.of("bash", "-c", "ulimit -n 128 && exec \"$@\"", "bash"),
                Main.class.getName(), List.of("http", "--port=0", "--loops=200", "--backend=poll"))) {
            assertEquals(1, child.awaitExit(Duration.ofSeconds(20)), "exit code; stderr:\n" + child.err.tail());
            assertEquals(List.of(), child.out.lines(), "no listening line");
            List<String> err = child.err.lines();
            assertEquals(1, err.size(), "one line: " + err);
            assertTrue(err.get(0).matches("pollkit http: event loop \\d+ of 200: .*EMFILE.*"), err.get(0));
        }
    }
}
