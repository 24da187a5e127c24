package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Sockets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.pollkit.bindings.sys_socket_h.SHUT_RD;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_ACCEPTCONN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --loops=N}: echo and http on N event loops, in both accept modes (each loop listening on the shared port
 * with SO_REUSEPORT, or the first loop handing fds round-robin), on every backend, over real sockets: the clients
 * spread over the loops and each is served; one loop's misbehaving clients cost the others nothing; the limit is
 * the server's; stopping ends every loop thread and gives back every fd; a loop's listener that breaks ends the
 * whole server; a loop that cannot be opened fails the start and leaves nothing open.
 */
@Timeout(120)
class LoopsTest {
    static Stream<Arguments> serversBackendsModes() {
        return Stream.of(ServerKind.ECHO, ServerKind.HTTP).flatMap(k -> Arrays.stream(Backend.values())
                .flatMap(b -> Stream.of(AcceptMode.REUSEPORT, AcceptMode.HANDOFF).map(m -> Arguments.of(k, b, m))));
    }

    static Stream<Arguments> backendsModes() {
        return Arrays.stream(Backend.values())
                .flatMap(b -> Stream.of(AcceptMode.REUSEPORT, AcceptMode.HANDOFF).map(m -> Arguments.of(b, m)));
    }

    private static void assume(Backend b, AcceptMode mode, TestInfo info) {
        Backends.assumeAvailable(b, info);
        if (mode == AcceptMode.REUSEPORT && !io.pollkit.sys.Portable.REUSEPORT_SPREADS) {
            Backends.skip(info, "SO_REUSEPORT does not spread connections here (" + io.pollkit.sys.Portable.describe() + ")");
        }
    }

    /** The listening sockets of this process on {@code port}: the loops' listeners. */
    static List<Integer> listeners(int port) {
        List<Integer> r = new ArrayList<>();
        for (int fd : Proc.fds()) {
            try {
                if (!Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("socket:")) continue;
                if (Sockets.getsockname(fd) instanceof InetSocketAddress a && a.getPort() == port
                        && Sockets.getsockopt(fd, SOL_SOCKET(), SO_ACCEPTCONN()) == 1) r.add(fd);
            } catch (IOException closedMeanwhile) {
                // another test's fd, gone
            }
        }
        return r;
    }

    private static List<Thread> loopThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pollkit-loop-")).toList();
    }

    @ParameterizedTest(name = "{0} on {1}, {2}")
    @MethodSource("serversBackendsModes")
    void clientsSpreadOverTheLoopsAndEachIsServed(ServerKind kind, Backend b, AcceptMode mode, TestInfo info) throws Exception {
        assume(b, mode, info);
        int loops = mode == AcceptMode.HANDOFF ? 3 : 2, clients = 48;
        try (RunningServer s = RunningServer.start(kind, b, o -> o.withLoops(loops).withAccept(mode)
                .withMaxClients(1000))) {
            assertTrue(s.out.lines().get(0).endsWith(" loops=" + loops + " accept=" + mode.id()), s.out.lines().toString());
            assertEquals(mode == AcceptMode.REUSEPORT ? loops : 1, listeners(s.port).size(),
                    "listening sockets on port " + s.port + " (port 0: every loop shares the port the first one got)");
            List<Client> cs = new ArrayList<>();
            for (int i = 0; i < clients; i++) cs.add(s.connect());
            for (int round = 0; round < 3; round++) {
                for (Client c : cs) kind.assertServed(c);
            }
            long[] served = s.servedPerLoop();
            System.out.println("LoopsTest " + kind + "/" + b.id() + "/" + mode.id() + ": clients per loop " + Arrays.toString(served));
            assertEquals(clients, Arrays.stream(served).sum(), Arrays.toString(served));
            if (mode == AcceptMode.HANDOFF) {
                for (long n : served) assertEquals(clients / loops, n, "round-robin: " + Arrays.toString(served));
            } else {
                // The kernel hashes each connection's ports: with 48 of them, a loop left without any is a 2^-47 chance.
                for (long n : served) assertTrue(n > 0, "a loop served no client: " + Arrays.toString(served));
            }
            assertEquals(clients, s.server.clientCount());
        }
    }

    /**
     * On one loop a client floods echo without reading (it must be disconnected at --max-queued) and another floods
     * and reads; on every loop well-behaved clients exchange numbered lines all along and get every byte back.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("backendsModes")
    void oneLoopsMisbehavingClientsCostTheOthersNothing(Backend b, AcceptMode mode, TestInfo info) throws Exception {
        assume(b, mode, info);
        try (RunningServer s = RunningServer.start(ServerKind.ECHO, b, o -> o.withLoops(2).withAccept(mode)
                .withMaxQueued(64 * 1024).withMaxClients(1000))) {
            Client nonReader = s.connect(1024);
            int bad = loopOfLast(s, new long[2]);
            long[] before = s.servedPerLoop();
            Client reader = null;
            List<Client> good = new ArrayList<>();
            int[] goodPerLoop = new int[2];
            for (int i = 0; i < 64 && (reader == null || goodPerLoop[0] < 2 || goodPerLoop[1] < 2); i++) {
                Client c = s.connect();
                long[] now = s.servedPerLoop();
                int loop = now[0] != before[0] ? 0 : 1;
                before = now;
                if (loop == bad && reader == null) reader = c;
                else {
                    good.add(c);
                    goodPerLoop[loop]++;
                }
            }
            assertNotNull(reader, "no second client landed on loop " + bad);
            assertTrue(goodPerLoop[0] >= 2 && goodPerLoop[1] >= 2, "well-behaved clients per loop: " + Arrays.toString(goodPerLoop));

            Flood cutOff = Flood.start(nonReader, new byte[64 * 1024], 10_000);
            byte[] unit = new byte[251];
            for (int i = 0; i < unit.length; i++) unit[i] = (byte) i;
            java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
            Client r = reader;
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicLong back = new java.util.concurrent.atomic.AtomicLong(-1);
            Thread readerThread = Thread.ofPlatform().start(() -> {
                try {
                    back.set(r.readRepeated(unit, taken));
                } catch (Throwable t) {
                    readerFailure.set(t);
                }
            });
            Flood heavy = Flood.windowed(reader, unit, 2000, taken::get, 1 << 20);
            long end = System.nanoTime() + 2_000_000_000L;
            int exchanges = 0;
            while (System.nanoTime() < end) {
                for (Client c : good) c.assertEchoes("line " + exchanges++ + " from client " + c.id + "\n");
            }
            heavy.join();
            reader.socket.shutdownOutput();   // the echo of everything, then end of stream
            readerThread.join(15_000);
            if (readerFailure.get() != null) throw new AssertionError("the flooding reader got wrong bytes", readerFailure.get());
            assertEquals(heavy.sent(), back.get(), "the flooding reader got back every byte it sent");
            assertEquals("output queue over 65536 bytes: client not reading",
                    s.awaitDisconnect(nonReader.id, java.time.Duration.ofSeconds(15)));
            assertNotNull(cutOff.awaitCutOff(), "the non-reader's writes should fail once the server hangs up");
            for (Client c : good) c.assertEchoes("after the floods " + c.id + "\n");
            s.assertNotDisconnected(good.toArray(Client[]::new));
            System.out.println("LoopsTest " + b.id() + "/" + mode.id() + ": " + exchanges + " exchanges beside floods on loop " + bad);
            assertTrue(exchanges > good.size(), "the well-behaved clients were served " + exchanges + " times");
        }
    }

    /** The loop that took the last client: the one whose count grew from {@code before} (filled in). */
    private static int loopOfLast(RunningServer s, long[] before) {
        long[] now = s.servedPerLoop();
        for (int i = 0; i < now.length; i++) {
            if (now[i] != before[i]) {
                System.arraycopy(now, 0, before, 0, now.length);
                return i;
            }
        }
        throw new AssertionError("no loop took the client: " + Arrays.toString(now));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("backendsModes")
    void theClientLimitIsTheServersNotEachLoops(Backend b, AcceptMode mode, TestInfo info) throws Exception {
        assume(b, mode, info);
        try (RunningServer s = RunningServer.start(ServerKind.HTTP, b, o -> o.withLoops(3).withAccept(mode).withMaxClients(4))) {
            List<Client> cs = new ArrayList<>();
            for (int i = 0; i < 4; i++) cs.add(s.connect());
            for (int i = 0; i < 3; i++) {
                try (Socket over = new Socket()) {
                    over.setSoTimeout(10_000);
                    over.connect(new InetSocketAddress("127.0.0.1", s.port), 10_000);
                    FdLimitTest.assertServiceUnavailable(new Client(0, over));
                }
            }
            s.log.awaitCount(l -> l.matches("client \\d+ refused: 4 clients already \\(--max-clients=4\\)"), 3,
                    RunningServer.WAIT, "client N refused");
            for (Client c : cs) c.assertHttpHello();
            assertEquals(4, s.server.clientCount());
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("backendsModes")
    void stoppingEndsEveryLoopThreadAndGivesBackEveryFd(Backend b, AcceptMode mode, TestInfo info) throws Exception {
        assume(b, mode, info);
        try (RunningServer warm = RunningServer.start(ServerKind.ECHO, b, o -> o.withLoops(3).withAccept(mode))) {
            warm.connect().assertEchoes("warm\n");   // classes loaded: the counts below are only the server's
        }
        long before = FdLeakTest.openFds();
        assertEquals(List.of(), loopThreads(), "loop threads before the start");
        RunningServer s = RunningServer.start(ServerKind.ECHO, b, o -> o.withLoops(4).withAccept(mode));
        List<Client> cs = new ArrayList<>();
        for (int i = 0; i < 12; i++) cs.add(s.connect());
        for (Client c : cs) c.assertEchoes("before the stop\n");
        assertEquals(3, loopThreads().size(), "threads of loops 2 to 4 (loop 1 runs on the caller's)");
        s.close();   // stop(), then joins the server's thread: run() returns only once every loop thread has ended
        assertEquals(List.of(), loopThreads(), "loop threads after the stop");
        assertEquals(12, s.log.count("client \\d+ disconnected: server stopping"));
        assertTrue(s.log.lines().contains("clients served by each of the 4 loops: 3 3 3 3")
                || mode == AcceptMode.REUSEPORT, s.log.tail());
        assertTrue(Math.abs(FdLeakTest.openFds() - before) <= 2, "open fds went from " + before + " to " + FdLeakTest.openFds());
    }

    /** shutdown(2) of loop 2's listener makes its accept fail with EINVAL: the whole server ends, with why. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Backend.class)
    void aBrokenListenerOnOneLoopEndsTheWholeServer(Backend b, TestInfo info) throws Exception {
        assume(b, AcceptMode.REUSEPORT, info);
        LineCapture out = new LineCapture("broken out"), log = new LineCapture("broken log");
        LoopServer server = new EchoServer(ServerOptions.defaults().withBackend(b).withPort(0).withLoops(3)
                .withAccept(AcceptMode.REUSEPORT).withStreams(out.printStream(), log.printStream()));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                server.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        out.await("listening on .*", RunningServer.WAIT);
        List<Integer> fds = listeners(server.port());
        assertEquals(3, fds.size(), "one listener per loop");
        int victim = fds.get(1);
        Sockets.shutdown(victim, SHUT_RD());
        t.join(RunningServer.WAIT.toMillis());
        assertFalse(t.isAlive(), "the server still runs after a loop's listener broke");
        assertNotNull(failure.get(), "run() returned without the failure");
        assertTrue(failure.get().getMessage().matches("accept4\\(fd=" + victim + "\\): EINVAL \\(.*\\); the listening socket "
                + "cannot accept connections any more"), failure.get().getMessage());
        assertEquals(List.of(), loopThreads(), "loop threads after the failure");
        assertEquals(List.of(), listeners(server.port()), "every listener closed");
    }

    @Test
    void aPortInUseIsEaddrinuseEvenForAServerThatSharesItsPort() throws Exception {
        if (!io.pollkit.sys.Portable.REUSEPORT_SPREADS) Backends.skip("LoopsTest.aPortInUse...", "no SO_REUSEPORT spreading here");
        LineCapture sink = new LineCapture("in use");
        ServerOptions o = ServerOptions.defaults().withPort(0).withLoops(2).withAccept(AcceptMode.REUSEPORT)
                .withStreams(sink.printStream(), sink.printStream());
        try (EchoServer first = new EchoServer(o)) {
            IOException e = assertThrows(IOException.class, () -> new EchoServer(o.withPort(first.port())).close());
            assertTrue(e.getMessage().matches("bind\\(fd=\\d+, 127\\.0\\.0\\.1:" + first.port() + "\\): EADDRINUSE .*"), e.getMessage());
        }
        try (ServerSocket plain = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> new EchoServer(o.withPort(plain.getLocalPort())).close());
            assertTrue(e.getMessage().contains("EADDRINUSE"), e.getMessage());
        }
    }

    /** With RLIMIT_NOFILE lowered, fd after fd: every failure says which loop, or which call, and leaves no fd open. */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("backendsModes")
    void aLoopThatCannotBeOpenedFailsTheStartAndLeavesNothingOpen(Backend b, AcceptMode mode, TestInfo info) throws Exception {
        assume(b, mode, info);
        LineCapture sink = new LineCapture("loops start failure");
        ServerOptions o = ServerOptions.defaults().withBackend(b).withPort(0).withLoops(3).withAccept(mode)
                .withStreams(sink.printStream(), sink.printStream());
        List<String> failures = StartFailureTest.sweep("http/" + b.id() + "/" + mode.id() + " with 3 loops", () -> {
            new HttpServer(o).close();
            return null;
        });
        assertTrue(failures.stream().anyMatch(m -> m.matches("event loop [23] of 3: .*EMFILE.*")),
                "no failure named its loop: " + failures);
    }

    @Test
    void theTickServerRunsOneLoop() {
        LineCapture sink = new LineCapture("tick loops");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TickServer(ServerOptions.defaults()
                .withPort(0).withLoops(2).withStreams(sink.printStream(), sink.printStream())));
        assertEquals("the tick server runs one event loop, not 2", e.getMessage());
    }

    @Test
    void theDefaultClientLimitLeavesEachExtraLoopItsFds() {
        assertEquals(20000 - FdLimit.RESERVE - 3 * FdLimit.PER_LOOP, FdLimit.maxClients(20000, Backend.EPOLL, 4));
        assertEquals(FdLimit.maxClients(20000, Backend.EPOLL), FdLimit.maxClients(20000, Backend.EPOLL, 1));
    }
}
