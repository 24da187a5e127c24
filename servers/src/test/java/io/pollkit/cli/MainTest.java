package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.server.Backends;
import io.pollkit.server.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in-process ({@code Main.run} returns the exit code; System.out and System.err are
 * captured): help, usage errors (one line on stderr, exit 2), a port in use (exit 1).
 */
@Timeout(20)
class MainTest {
    /** What one run printed and returned. */
    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        /** A usage error: exit code 2, nothing on stdout, exactly one line on stderr; returns it. */
        String usageError() {
            assertEquals(2, code, "exit code; stderr: " + err);
            assertEquals("", out, "nothing on stdout");
            assertEquals(1, errLines().size(), "one line on stderr, not:\n" + err);
            return errLines().get(0);
        }
    }

    /** Runs the command line on another thread (bounded: a server that did start would block). */
    static synchronized Result run(String... args) throws Exception {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = CompletableFuture.supplyAsync(() -> Main.run(args)).get(10, TimeUnit.SECONDS);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsTheServersAndExits0() throws Exception {
        for (String help : List.of("--help", "-h", "help")) {
            Result r = run(help);
            assertEquals(0, r.code());
            assertEquals("", r.err());
            for (String server : List.of("tick", "echo", "http", "backends")) {
                assertTrue(r.out().contains("\n  " + server + " "), server + " missing from:\n" + r.out());
            }
        }
    }

    @Test
    void noArgumentsPrintsTheUsageOnStderrAndExits2() throws Exception {
        Result r = run();
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("usage: "), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tick", "echo", "http"})
    void serverHelpListsItsFlagsAndExits0(String server) throws Exception {
        Result r = run(server, "--help");
        assertEquals(0, r.code());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("usage: pollkit " + server + " [flags]"), r.out());
        for (String flag : List.of("--backend=NAME", "--bind=ADDR", "--port=N", "--max-clients=N", "--max-line=N",
                "--max-queued=N", "--help")) {
            assertTrue(r.out().contains("  " + flag + " "), flag + " missing from:\n" + r.out());
        }
        assertEquals(server.equals("tick"), r.out().contains("--interval=T "), "--interval is the tick server's");
        assertEquals(server.equals("http"), r.out().contains("  --header-timeout=T "), "--header-timeout is http's");
        assertEquals(!server.equals("tick"), r.out().contains("  --idle-timeout=T "), "--idle-timeout: echo's and http's");
        assertTrue(r.out().contains("select, poll, epoll, kqueue or io_uring"), r.out());
        assertEquals(!server.equals("tick"), r.out().contains("  --loops=N "), "--loops: echo's and http's");
        assertEquals(!server.equals("tick"), r.out().contains("  --accept=MODE "), "--accept: echo's and http's");
        assertEquals(server.equals("tick"), r.out().contains("--loops is echo's and http's"), "tick says it runs one loop");
        assertEquals(0, run(server, "--port=1", "-h").code(), "--help wins over the other flags");
    }

    @Test
    void modelChoosesReadinessOrIoUringCompletionForEchoAndHttp() throws Exception {
        for (String server : List.of("echo", "http")) {
            Result help = run(server, "--help");
            assertTrue(help.out().contains("  --model=MODEL "), help.out());
            assertTrue(help.out().contains("(--model=readiness only: the completion model runs one io_uring loop)"), help.out());
            assertTrue(run(server, "--model=sideways").usageError()
                    .contains("unknown model 'sideways'; choose one of readiness, completion"));
            assertTrue(run(server, "--model=completion", "--backend=epoll").usageError()
                    .contains("--model=completion runs on io_uring alone; --backend=epoll is for --model=readiness"));
            assertEquals("pollkit " + server + ": --loops=2 is for --model=readiness; --model=completion runs one io_uring "
                    + "loop (see pollkit " + server + " --help)", run(server, "--model=completion", "--loops=2").usageError());
        }
        assertTrue(run("tick", "--model=completion").usageError().contains("unknown flag --model"), "tick has no completion model");
    }

    @Test
    void backendsListsAllFive() throws Exception {
        Result r = run("backends");
        assertEquals(0, r.code());
        assertEquals(5, r.out().lines().count(), r.out());
        for (Backend b : Backend.values()) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(b.id() + " ")
                    && l.contains(b.isAvailable() ? "available" : "unavailable: ")), r.out());
        }
    }

    @Test
    void aBadFlagIsOneLineOnStderrAndExit2() throws Exception {
        assertEquals("pollkit tick: unknown flag --bogus (see pollkit tick --help)", run("tick", "--bogus=1").usageError());
        assertTrue(run("tick", "bogus").usageError().contains("unknown argument bogus"));
        assertTrue(run("tick", "-p", "8080").usageError().contains("unknown argument -p"));
        assertTrue(run("tick", "--port").usageError().contains("--port needs a value: --port=..."));
        assertTrue(run("echo", "--interval=5").usageError().contains("unknown flag --interval"), "only tick takes --interval");
        assertTrue(run("tick", "--bind=").usageError().contains("--bind needs an address"));
        assertTrue(run("tick", "--max-clients=0").usageError().contains("--max-clients must be a whole number from 1"));
        assertTrue(run("tick", "--interval=-5").usageError().contains("--interval: '-5' is not a duration"));
        assertTrue(run("tick", "--idle-timeout=1s").usageError().contains("unknown flag --idle-timeout"), "tick keeps silent clients");
        assertTrue(run("echo", "--header-timeout=1s").usageError().contains("unknown flag --header-timeout"), "only http has heads");
    }

    @Test
    void loopsAndAcceptAreCheckedAndTheTickServersHaveOneLoop() throws Exception {
        for (String bad : List.of("0", "-1", "two", "257", "")) {
            assertEquals("pollkit echo: --loops must be a whole number from 1 to 256, not '" + bad + "' (see pollkit echo --help)",
                    run("echo", "--loops=" + bad).usageError());
        }
        assertTrue(run("http", "--loops=99999999999").usageError().contains("--loops must be a whole number from 1 to 256"));
        for (String tick : List.of("tick", "raw-tick")) {
            assertEquals("pollkit " + tick + ": --loops is for echo and http; this server runs one event loop (its ticks go to "
                    + "every client at once) (see pollkit " + tick + " --help)", run(tick, "--loops=2").usageError());
            assertTrue(run(tick, "--accept=handoff").usageError().contains("--accept is for echo and http"));
        }
        assertEquals("pollkit http: --accept must be auto, reuseport or handoff, not 'maybe' (see pollkit http --help)",
                run("http", "--loops=2", "--accept=maybe").usageError());
    }

    @Test
    void theHelpSaysEachServersDefaults() throws Exception {
        String tick = run("tick", "--help").out(), echo = run("echo", "--help").out(), http = run("http", "--help").out();
        assertTrue(tick.contains("clients served at once (default 15)"), tick);
        for (String help : List.of(echo, http)) {
            assertTrue(help.contains("(default: RLIMIT_NOFILE minus 64"), help);
            assertTrue(help.contains("here " + io.pollkit.server.FdLimit.maxClients(io.pollkit.server.FdLimit.hard(),
                    Backend.defaultBackend())), help);
        }
        assertTrue(http.contains("503 Service Unavailable"), http);
        assertTrue(http.contains("(default 1m, nginx's client_header_timeout; 0: none)"), http);
        assertTrue(http.contains("(default 75s, nginx's keepalive_timeout; 0: none)"), http);
        assertTrue(echo.contains("(default 5m: "), echo);
    }

    @Test
    void durationsTakeAUnitAndIntervalAlsoABareNumberOfMilliseconds() throws Exception {
        assertEquals(500, parse("--interval=500").intervalMillis());
        assertEquals(500, parse("--interval=500ms").intervalMillis());
        assertEquals(2000, parse("--interval=2s").intervalMillis());
        ServerOptions o = parse("--header-timeout=10s", "--idle-timeout=2m");
        assertEquals(10_000, o.headerTimeoutMillis());
        assertEquals(120_000, o.idleTimeoutMillis());
        assertEquals(3_600_000, parse("--idle-timeout=1h").idleTimeoutMillis());
        assertEquals(300, parse("--idle-timeout=300ms").idleTimeoutMillis());
        assertEquals(0, parse("--header-timeout=0").headerTimeoutMillis(), "0 needs no unit: no timeout");
        assertEquals(0, parse("--idle-timeout=0s").idleTimeoutMillis());
    }

    @Test
    void aBadDurationIsOneLineOnStderrAndExit2() throws Exception {
        assertEquals("pollkit http: --header-timeout: '10' needs a unit: write a whole number and ms, s, m or h, such as"
                + " 500ms, 10s or 2m (see pollkit http --help)", run("http", "--header-timeout=10").usageError());
        for (String bad : List.of("10x", "s", "", "1.5s", "-1s", "10 s", "1s5", "ten", "99999999999999s")) {
            assertTrue(run("echo", "--idle-timeout=" + bad).usageError().contains("--idle-timeout: '" + bad + "' is not a duration"), bad);
        }
        assertTrue(run("http", "--idle-timeout=25h").usageError().contains("'25h' is out of range: from 0ms to 24h"));
        assertTrue(run("tick", "--interval=0").usageError().contains("--interval: '0' is out of range: from 1ms to"));
    }

    /** Flags parsed as the command line does, with every flag allowed. */
    private static ServerOptions parse(String... flags) throws UsageException {
        java.util.Set<String> all = java.util.Set.of("backend", "bind", "port", "max-clients", "max-line", "max-queued",
                "interval", "header-timeout", "idle-timeout");
        return Flags.parse(List.of(flags), all, ServerOptions.defaults());
    }

    @Test
    void aPortThatIsNotANumberExits2WithAClearMessage() throws Exception {
        assertEquals("pollkit tick: --port must be a whole number from 0 to 65535, not 'abc' (see pollkit tick --help)",
                run("tick", "--port=abc").usageError());
        assertTrue(run("http", "--port=65536").usageError().contains("--port must be a whole number from 0 to 65535, not '65536'"));
        assertTrue(run("echo", "--port=-1").usageError().contains("not '-1'"));
    }

    @Test
    void anUnknownServerExits2() throws Exception {
        String line = run("nope", "--port=0").usageError();
        assertTrue(line.contains("unknown server 'nope'") && line.contains("tick, echo, http, raw-tick, backends"), line);
    }

    @Test
    void anUnknownBackendExits2ListingTheChoices() throws Exception {
        String line = run("tick", "--backend=nope").usageError();
        assertTrue(line.contains("unknown backend 'nope'; choose one of select, poll, epoll, kqueue, io_uring"), line);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aPortInUseExits1WithEaddrinuse(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            long fds = openFds();
            for (String server : List.of("tick", "echo", "http")) {
                Result r = run(server, "--backend=" + b.id(), "--port=" + taken.getLocalPort());
                assertEquals(1, r.code(), "exit code; stderr: " + r.err());
                assertEquals("", r.out(), "no listening line");
                assertEquals(1, r.errLines().size(), r.err());
                assertTrue(r.err().startsWith("pollkit " + server + ": bind("), r.err());
                assertTrue(r.err().contains("127.0.0.1:" + taken.getLocalPort() + "): EADDRINUSE (Address already in use)"), r.err());
            }
            assertEquals(fds, openFds(), "the failed starts closed their poller and socket");
        }
    }

    private static long openFds() {
        return io.pollkit.server.Proc.openFds();
    }
}
