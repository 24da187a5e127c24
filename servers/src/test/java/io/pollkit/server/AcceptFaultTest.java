package io.pollkit.server;

import io.pollkit.cli.Main;
import io.pollkit.poller.Backend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * accept4 failing for real, in a server in a child JVM run under {@code strace -e inject=accept4:error=E:when=1}:
 * the kernel skips the server's first accept4 and returns E instead (the connection stays queued). As accept(2)
 * says: an error of the new connection (EPROTO, EPERM, ...) is logged and accepting goes on; out of resources
 * (EMFILE, ENOBUFS) the server pauses, then accepts; a broken listener (EBADF, EINVAL, ENOTSOCK) ends the server
 * with one line naming the error and exit code 1, never a live process that cannot accept.
 *
 * <p>An LD_PRELOAD wrapper of accept4 cannot do this: FFM finds accept4 through the C library's own handle
 * (dlsym on it), where a preloaded definition is not looked at; strace works at the system call.
 *
 * <p>Every server on a few backends each (a child JVM per case costs a couple of seconds): tick and raw-tick
 * on every backend for the main errnos, echo and http on some; the others where the code path is the same.
 */
@Timeout(300)
class AcceptFaultTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    record Case(String server, Backend backend, String errno) {
        @Override
        public String toString() {
            return server + "/" + backend.id() + " " + errno;
        }
    }

    private static Stream<Case> everyBackend(String server, String errno) {
        return Stream.of(Backend.values()).map(b -> new Case(server, b, errno));
    }

    static Stream<Case> connectionErrors() {
        return Stream.of(
                everyBackend("tick", "EPROTO"),
                everyBackend("raw-tick", "EPROTO"),
                Stream.of(new Case("echo", Backend.EPOLL, "EPROTO"), new Case("http", Backend.POLL, "EPROTO"),
                        new Case("tick", Backend.EPOLL, "EPERM"), new Case("raw-tick", Backend.EPOLL, "EHOSTUNREACH"),
                        new Case("http", Backend.SELECT, "ENETUNREACH"), new Case("echo", Backend.KQUEUE, "ENETDOWN"),
                        new Case("tick", Backend.POLL, "ECONNABORTED"), new Case("raw-tick", Backend.SELECT, "ECONNABORTED")))
                .flatMap(s -> s);
    }

    static Stream<Case> resourceErrors() {
        return Stream.of(
                everyBackend("raw-tick", "EMFILE"),
                Stream.of(new Case("tick", Backend.EPOLL, "EMFILE"), new Case("echo", Backend.SELECT, "EMFILE"),
                        new Case("http", Backend.KQUEUE, "ENOBUFS"), new Case("raw-tick", Backend.POLL, "ENOMEM")))
                .flatMap(s -> s);
    }

    static Stream<Case> listenerErrors() {
        return Stream.of(
                everyBackend("tick", "EBADF"),
                everyBackend("raw-tick", "EBADF"),
                Stream.of(new Case("echo", Backend.EPOLL, "EBADF"), new Case("http", Backend.EPOLL, "EBADF"),
                        new Case("tick", Backend.EPOLL, "EINVAL"), new Case("raw-tick", Backend.KQUEUE, "EINVAL"),
                        new Case("http", Backend.SELECT, "ENOTSOCK"), new Case("raw-tick", Backend.POLL, "ENOTSOCK")))
                .flatMap(s -> s);
    }

    /** The connection's error is logged (ECONNABORTED is retried silently), the client and the next one are served. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("connectionErrors")
    void aConnectionErrorIsLoggedAndAcceptingGoesOn(Case c) throws Exception {
        try (ChildJvm child = start(c)) {
            int port = child.awaitPort(c.backend.id());
            try (Socket first = connect(port)) {
                if (!c.errno.equals("ECONNABORTED")) {
                    child.err.await("accept4\\(fd=\\d+\\): " + c.errno + " \\(.*\\); that connection is dropped, accepting the next one", WAIT);
                }
                assertServed(c.server, first);
                try (Socket second = connect(port)) {
                    assertServed(c.server, second);
                }
            }
            endsCleanly(child);
        }
    }

    /** Out of fds, buffers or memory: the pause is logged once, then the waiting client is accepted and served. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("resourceErrors")
    void aResourceErrorPausesAcceptingThenItResumes(Case c) throws Exception {
        try (ChildJvm child = start(c)) {
            int port = child.awaitPort(c.backend.id());
            String until = c.errno.equals("EMFILE") ? "fds are free" : "it passes";
            String pause = c.server.equals("raw-tick") ? "not accepting for 100 ms" : "pausing accepts for 100 ms at a time until " + until;
            try (Socket first = connect(port)) {
                child.err.await("accept4\\(fd=\\d+\\): " + c.errno + " \\(.*\\); " + pause, WAIT);
                assertServed(c.server, first);
                try (Socket second = connect(port)) {
                    assertServed(c.server, second);
                }
            }
            assertEquals(1, child.err.count("accept4.*" + c.errno + ".*"), "the failure is logged once:\n" + child.err.tail());
            endsCleanly(child);
        }
    }

    /** A broken listener ends the server: exit code 1 and exactly one line saying why, on stderr. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("listenerErrors")
    void aBrokenListenerEndsTheServerWithItsReason(Case c) throws Exception {
        try (ChildJvm child = start(c)) {
            int port = child.awaitPort(c.backend.id());
            try (Socket first = connect(port)) {
                int code = child.awaitExit(WAIT);
                assertEquals(1, code, "exit code; stderr:\n" + child.err.tail());
            }
            String line = "pollkit " + c.server + ": accept4\\(fd=\\d+\\): " + c.errno
                    + " \\([^)]*\\); the listening socket cannot accept connections any more";
            assertEquals(1, child.err.count(line), "the reason, once:\n" + child.err.tail());
            assertEquals(1, child.err.count(".*" + c.errno + ".*"), "nothing else names the error:\n" + child.err.tail());
            assertEquals(0, child.err.count(".*; closing it"), "the loop saw no failure of its own:\n" + child.err.tail());
        }
    }

    /** The server in a child JVM under strace, its first accept4 failing with {@code c.errno}; skipped, saying why, without strace. */
    private static ChildJvm start(Case c) throws IOException, InterruptedException {
        String reason = c.backend.unavailableReason();
        if (reason == null) reason = straceUnusable();
        if (reason != null) {
            String line = "SKIPPED AcceptFaultTest " + c + ": " + reason;
            System.out.println(line);
            Assumptions.abort(line);
        }
        List<String> strace = List.of("strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e", "trace=accept4",
                "-e", "inject=accept4:error=" + c.errno + ":when=1");
        List<String> args = new ArrayList<>(List.of(c.server, "--port=0", "--backend=" + c.backend.id()));
        if (c.server.endsWith("tick")) args.add("--interval=100");
        return ChildJvm.start(strace, Main.class.getName(), args);
    }

    private static String straceChecked;

    /** Why strace cannot inject faults here (not installed, ptrace refused), or null when it can. */
    private static synchronized String straceUnusable() throws InterruptedException {
        if (straceChecked == null) {
            try {
                Process p = new ProcessBuilder("strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e", "trace=accept4",
                        "-e", "inject=accept4:error=EPROTO:when=1", "true").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                straceChecked = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? ""
                        : "strace cannot run here (" + out + "); .ci/run installs it";
            } catch (IOException e) {
                straceChecked = "strace is not installed (" + e.getMessage() + "); .ci/run installs it (apt-get install strace)";
            }
        }
        return straceChecked.isEmpty() ? null : straceChecked;
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) WAIT.toMillis());
        s.connect(new InetSocketAddress("127.0.0.1", port), (int) WAIT.toMillis());
        return s;
    }

    /** A tick line, the bytes back, or a 200 hello: the server accepted this client and serves it. */
    private static void assertServed(String server, Socket s) throws IOException {
        Client c = new Client(0, s);
        switch (server) {
            case "tick", "raw-tick" -> c.awaitTick();
            case "echo" -> c.assertEchoes("still accepting?\n");
            case "http" -> c.assertHttpHello();
            default -> throw new IllegalArgumentException(server);
        }
    }

    /** SIGTERM stops it with exit code 0, and the loop never reported a failure of its own. */
    private static void endsCleanly(ChildJvm child) throws InterruptedException {
        child.sigterm();
        assertEquals(0, child.awaitExit(WAIT), "exit code after SIGTERM; stderr:\n" + child.err.tail());
        assertEquals(0, child.err.count(".*; closing it"), "the loop saw no failure of its own:\n" + child.err.tail());
        assertEquals(0, child.err.count(".*cannot accept connections any more.*"), child.err.tail());
        assertTrue(child.err.count("client \\d+ connected.*") >= 2, "both clients were accepted:\n" + child.err.tail());
    }
}
