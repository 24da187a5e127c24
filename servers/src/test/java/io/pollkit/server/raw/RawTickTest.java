package io.pollkit.server.raw;

import io.pollkit.poller.Backend;
import io.pollkit.server.Backends;
import io.pollkit.server.LineLog;
import io.pollkit.server.Proc;
import io.pollkit.server.ServerOptions;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Rlimit;
import io.pollkit.sys.SockAddr;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.pollkit.bindings.errno_h.EMFILE;
import static io.pollkit.bindings.fcntl_h.O_CLOEXEC;
import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_SNDBUF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The raw tick servers over real TCP loopback connections, once per backend. Every wait is bounded:
 * clients read with a socket timeout, log lines are awaited with a deadline, the server is stopped
 * through its flag and must return within a second.
 */
class RawTickTest {
    private static final long INTERVAL = 100;
    private static final int TIMEOUT_MS = 10_000;
    /** How long stop() may take to end run() before the test calls it a hang: generous, never a speed claim. */
    private static final Duration STOP = Duration.ofSeconds(20);

    /** The options of a test on {@code backend}; the test is skipped, and says so, where it cannot run. */
    private static ServerOptions options(Backend backend) {
        Backends.assumeAvailable(backend, "RawTickTest." + testName());
        return ServerOptions.defaults().withBackend(backend).withPort(0).withInterval(INTERVAL);
    }

    /** The test method calling in (these tests take no TestInfo). */
    private static String testName() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> f.getClassName().equals(RawTickTest.class.getName()) && !f.getMethodName().equals("options")
                        && !f.getMethodName().equals("testName") && !f.getMethodName().equals("skip"))
                .findFirst().map(StackWalker.StackFrame::getMethodName).orElse("?"));
    }

    private static void skip(Backend backend, String reason) {
        Backends.skip("RawTickTest." + testName() + " on " + backend.id(), reason);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyClientGetsTicks(Backend backend) throws Exception {
        try (Server server = new Server(options(backend))) {
            assertTrue(server.listening.matches("listening on 127\\.0\\.0\\.1:\\d+ backend=" + backend.id()), server.listening);
            List<Client> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) clients.add(server.connect());
                for (Client c : clients) {
                    for (int i = 0; i < 3; i++) assertEquals("tick", c.readLine());
                }
            } finally {
                for (Client c : clients) c.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void clientLinesAreLogged(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Client c = server.connect()) {
            c.send("hello\r\nwor");
            c.send("ld\n\n");
            server.log.await("client said: hello");
            server.log.await("client said: world");
            server.log.await("client said: ");
            assertEquals("tick", c.readLine());
        }
    }

    /** The classic bug: a poll timeout restarted on every event means a chatty client stops all ticks. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void trafficDoesNotDelayTicks(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Client chatty = server.connect(); Client quiet = server.connect()) {
            AtomicBoolean talking = new AtomicBoolean(true);
            Thread talker = Thread.ofPlatform().start(() -> {
                try {
                    while (talking.get()) {
                        chatty.send("chatter\n");
                        Thread.sleep(5);
                    }
                } catch (IOException | InterruptedException e) {
                    // the test ends the talk
                }
            });
            try {
                // The chatter comes every 5 ms, far more often than the 100 ms interval: a wait restarted on every
                // event would send no tick at all (the read times out). Ticks are not early either: 10 intervals
                // cannot pass in much less than 10 x INTERVAL.
                quiet.readLine();   // in phase with the ticks
                long t0 = System.nanoTime();
                for (int i = 0; i < 10; i++) assertEquals("tick", quiet.readLine());
                long elapsed = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(elapsed > 10 * INTERVAL - 200, "10 ticks in only " + elapsed + " ms: not a fixed rate");
            } finally {
                talking.set(false);
                talker.join(TIMEOUT_MS);
            }
            server.log.await("client said: chatter");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void clientBeyondMaxClientsIsClosedAtOnce(Backend backend) throws Exception {
        try (Server server = new Server(options(backend).withMaxClients(2));
             Client a = server.connect(); Client b = server.connect()) {
            assertEquals("tick", a.readLine());
            assertEquals("tick", b.readLine());
            try (Client extra = server.connect()) {
                extra.awaitClosed();
            }
            server.log.await(l -> l.matches("client 3 from .* refused: already serving 2 clients"));
            assertEquals("tick", a.readLine());
            assertEquals("tick", b.readLine());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theLineLimitExcludesTheLineEndAndLoggedLinesAreEscaped(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Client crlf = server.connect(); Client over = server.connect();
             Client forger = server.connect()) {
            crlf.send("c".repeat(1024) + "\r\n");
            server.log.await("client said: " + "c".repeat(1024));
            over.send("c".repeat(1025) + "\r\n");
            over.awaitClosed();
            server.log.await("client 2 disconnected: line longer than 1024 bytes");
            forger.send("hi\rclient 1 disconnected: forged\u001b[31m\u0000\n");
            server.log.await("client said: hi\\x0dclient 1 disconnected: forged\\x1b[31m\\x00");
            assertEquals("tick", crlf.readLine());
        }
    }

    /** A flood of lines is shown at most {@link LineLog#BURST} a second; every other line is counted, none lost. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void floodedLinesAreRateLimitedAndCounted(Backend backend) throws Exception {
        int lines = 20_000;
        try (Server server = new Server(options(backend)); Client flooder = server.connect()) {
            long t0 = System.nanoTime();
            flooder.send("line\n".repeat(lines));
            flooder.close();
            server.log.await("client 1 disconnected: end of stream");
            long shown = server.log.count("client said: line"::equals);
            long counted = server.log.count(l -> l.matches("client 1: \\d+ lines not shown .*")) == 0 ? 0
                    : Long.parseLong(server.log.await(l -> l.startsWith("client 1: ")).split(" ")[2]);
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(shown <= LineLog.BURST * (1 + seconds), shown + " lines shown in " + seconds + " s");
            assertEquals(lines, shown + counted, "shown " + shown + " + counted " + counted);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void overlongLineDisconnectsOnlyThatClient(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Client good = server.connect(); Client bad = server.connect()) {
            bad.send("x".repeat(2048));
            bad.awaitClosed();
            server.log.await("client 2 disconnected: line longer than 1024 bytes");
            good.send("x".repeat(1024) + "\n");   // exactly the limit is fine
            server.log.await("client said: " + "x".repeat(1024));
            for (int i = 0; i < 3; i++) assertEquals("tick", good.readLine());
        }
    }

    /**
     * A client that never reads fills its window, then the server's socket send buffer, then its queue
     * in the server, and is disconnected; the reader beside it goes on getting ticks. On loopback Linux
     * sizes the server's send buffer from the 64 KiB MSS (about 4 MB), which 5-byte ticks would take
     * minutes to fill; so the test, sharing the server's process, shrinks that one socket's SO_SNDBUF.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void clientThatNeverReadsIsDisconnected(Backend backend) throws Exception {
        ServerOptions o = options(backend).withInterval(1).withMaxQueued(4096);
        try (Server server = new Server(o); Client reader = server.connect(); Client sleeper = server.connect(1024)) {
            server.log.await("client 2 connected from " + address(sleeper.socket.getLocalSocketAddress()));
            Sockets.setsockopt(serverEndOf(sleeper), SOL_SOCKET(), SO_SNDBUF(), 1);   // the kernel's minimum
            long t0 = System.nanoTime();
            while (!server.log.contains("client 2 disconnected: more than 4096 bytes queued (it does not read)")) {
                assertEquals("tick", reader.readLine());
                assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the sleeper was not disconnected in 10 s; log:\n" + server.log);
            }
            for (int i = 0; i < 100; i++) assertEquals("tick", reader.readLine());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void resetAndCloseDisturbNobody(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Client stays = server.connect()) {
            try (Client resets = server.connect()) {
                resets.send("bye\n");
                server.log.await("client said: bye");
                resets.socket.setSoLinger(true, 0);   // close sends RST instead of FIN
            }
            server.log.await(l -> l.matches("client 2 disconnected: .*(ECONNRESET|end of stream).*"));
            try (Client leaves = server.connect()) {
                assertEquals("tick", leaves.readLine());
            }
            server.log.await("client 3 disconnected: end of stream");
            for (int i = 0; i < 3; i++) assertEquals("tick", stays.readLine());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stopReturnsAndClosesEveryFd(Backend backend) throws Exception {
        ServerOptions o = options(backend).withInterval(60_000);   // no tick while stopping
        long before = openFds();
        Server server = new Server(o);
        try (Client a = server.connect(); Client b = server.connect()) {
            server.log.await("client 2 connected from " + address(b.socket.getLocalSocketAddress()));
            server.close();      // sets the flag, joins the thread (bounded) and asserts it returned
            a.awaitClosed();
            b.awaitClosed();
        } finally {
            server.close();
        }
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        while (openFds() > before && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(before, openFds(), "fds open before the server and after it stopped");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void listensOnIpv6(Backend backend) throws Exception {
        ServerOptions o = options(backend).withBind("::1");
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            probe.getLocalPort();
        } catch (IOException e) {
            skip(backend, "no IPv6 loopback here: " + e);
        }
        try (Server server = new Server(o); Client c = server.connect()) {
            assertTrue(server.listening.matches("listening on \\[::1]:\\d+ backend=" + backend.id()), server.listening);
            assertEquals("tick", c.readLine());
        }
    }

    /**
     * Out of fds, accept fails with EMFILE while the connection stays queued and the listener readable:
     * the server must leave the listener out for a while (logging once) rather than spin, then accept
     * the connection once fds are free again. The soft RLIMIT_NOFILE is lowered to the fds in use and the
     * holes below it are filled; the client's socket is bound (so it has its fd) before that.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void acceptOutOfFdsPausesInsteadOfSpinning(Backend backend) throws Exception {
        try (Server server = new Server(options(backend)); Socket waiting = new Socket()) {
            Path serverThread = Proc.thread(server.thread.getName());   // found while fds are free
            waiting.setSoTimeout(TIMEOUT_MS);
            waiting.bind(new InetSocketAddress(InetAddress.getByName(server.host), 0));
            // Load now what the server and this test will use: no class file can be opened once fds run
            // out. A first client takes the server through a whole round; a failed call builds an error.
            try (Client first = server.connect()) {
                assertEquals("tick", first.readLine());
            }
            server.log.await("client 1 disconnected: end of stream");
            assertThrows(ErrnoException.class, () -> Sockets.socket(-1, SOCK_STREAM(), 0));
            Rlimit.Limit saved = Rlimit.getrlimit(RLIMIT_NOFILE());
            List<Integer> filler = new ArrayList<>();
            double runnable;
            try {
                Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(highestFd() + 1, saved.max()));
                try {
                    for (;;) filler.add(Sockets.socket(AF_UNIX(), SOCK_STREAM() | SOCK_CLOEXEC(), 0));
                } catch (ErrnoException e) {
                    assertEquals(EMFILE(), e.errno(), e.getMessage());
                }
                waiting.connect(new InetSocketAddress(InetAddress.getByName(server.host), server.port), TIMEOUT_MS);
                server.log.await(l -> l.contains("EMFILE"));
                // A server that retries accept at once is runnable in every sample, however loaded the machine.
                runnable = Proc.runnableShare(List.of(serverThread), Duration.ofMillis(500), 50);
            } finally {
                Rlimit.setrlimit(RLIMIT_NOFILE(), saved);
                for (int fd : filler) Unistd.closeQuietly(fd);
            }
            assertTrue(runnable < 0.5, "the server thread was runnable in " + Math.round(runnable * 100) + "% of samples out of fds: it spins");
            server.log.await(l -> l.startsWith("client 2 connected from "));
            assertEquals("tick", new BufferedReader(new InputStreamReader(waiting.getInputStream(), StandardCharsets.UTF_8)).readLine());
            assertEquals(1, server.log.count(l -> l.contains("EMFILE")), "the accept failure is logged once:\n" + server.log);
        }
    }

    /** select cannot watch fd 1024 or above: such a client is refused, and the server goes on. */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = "SELECT")
    void selectRefusesFdsPastFdSetsize(Backend backend) throws Exception {
        try (Server server = new Server(options(backend))) {
            List<Integer> filler = new ArrayList<>();
            try {
                // pipe2 returns the lowest free fds: once they are past FD_SETSIZE, every fd below is taken.
                for (int[] p = Unistd.pipe2(O_CLOEXEC()); ; p = Unistd.pipe2(O_CLOEXEC())) {
                    filler.add(p[0]);
                    filler.add(p[1]);
                    if (p[0] >= FdSet.FD_SETSIZE) break;
                }
                try (Client high = server.connect()) {
                    high.awaitClosed();
                }
                server.log.await(l -> l.matches("client 1 disconnected: fd \\d+ does not fit in select's fd_set.*"));
            } finally {
                for (int fd : filler) Unistd.closeQuietly(fd);
            }
            try (Client low = server.connect()) {
                assertEquals("tick", low.readLine());
            }
        }
    }

    private static String address(SocketAddress a) {
        return SockAddr.format(a);
    }

    private static int serverEndOf(Client c) {
        return Proc.socketWithPeer(c.socket.getLocalSocketAddress());
    }

    private static int highestFd() {
        return Proc.highestFd();
    }

    private static long openFds() {
        return Proc.openFds();
    }

    /** A server on its own platform thread (a blocking downcall would pin a virtual thread's carrier). */
    private static final class Server implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final Lines out = new Lines(), log = new Lines();
        final Thread thread;
        final String listening;
        final int port;
        final String host;
        volatile Throwable failure;

        Server(ServerOptions o) throws Exception {
            ServerOptions options = o.withStreams(out.stream, log.stream);
            thread = Thread.ofPlatform().name("raw-tick-" + o.backend().id()).start(() -> {
                try {
                    RawTick.run(options, stop);
                } catch (Throwable t) {
                    failure = t;
                }
            });
            try {
                listening = out.await(l -> l.startsWith("listening on ") || failure != null);
            } catch (AssertionError e) {
                close();
                throw e;
            }
            Matcher m = Pattern.compile("listening on \\[?(.*?)]?:(\\d+) backend=\\w+").matcher(listening);
            assertTrue(m.matches(), listening);
            host = m.group(1);
            port = Integer.parseInt(m.group(2));
        }

        Client connect() throws IOException {
            return connect(0);
        }

        /** A client; a receiveBuffer above 0 is set before connecting, so the window is small from the start. */
        Client connect(int receiveBuffer) throws IOException {
            Socket s = new Socket();
            if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
            s.setSoTimeout(TIMEOUT_MS);
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), TIMEOUT_MS);
            return new Client(s);
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                thread.join(STOP.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertFalse(thread.isAlive(), "run() did not return within " + STOP.toSeconds() + " s of stop; log:\n" + log);
            if (failure != null) throw new AssertionError("the server failed; log:\n" + log, failure);
        }
    }

    private static final class Client implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        String readLine() throws IOException {
            return in.readLine();
        }

        void send(String text) throws IOException {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Reads until end of stream (or a reset) within the socket timeout; ticks before it are fine. */
        void awaitClosed() throws IOException {
            try {
                while (in.readLine() != null) {
                    // a tick sent before the server closed it
                }
            } catch (SocketException reset) {
                // closed with our bytes unread: the kernel sent RST, which is a close too
            } catch (SocketTimeoutException e) {
                fail("still open after " + TIMEOUT_MS + " ms");
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A PrintStream's lines, which a test can wait for. */
    private static final class Lines extends OutputStream {
        final PrintStream stream = new PrintStream(this, true, StandardCharsets.UTF_8);
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
                notifyAll();
            } else {
                partial.write(b);
            }
        }

        synchronized boolean contains(String line) {
            return lines.contains(line);
        }

        synchronized long count(Predicate<String> p) {
            return lines.stream().filter(p).count();
        }

        void await(String line) throws InterruptedException {
            await(line::equals);
        }

        synchronized String await(Predicate<String> p) throws InterruptedException {
            long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            for (;;) {
                for (String l : lines) if (p.test(l)) return l;
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new AssertionError("no matching line within " + TIMEOUT_MS + " ms in:\n" + this);
                wait(left);
            }
        }

        @Override
        public synchronized String toString() {
            return String.join("\n", lines) + (partial.size() > 0 ? "\n" + partial : "");
        }
    }
}
