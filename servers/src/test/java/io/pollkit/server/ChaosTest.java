package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Chaos, per backend: the tick, echo and http servers run in a child JVM ({@link ChaosServers}) while, for a bounded
 * time, {@value #CLIENTS_DEFAULT} clients per server at once connect, send lines, bytes and requests in random pieces,
 * half-close, reset, stall, never read, flood and send garbage ({@link ChaosClient.Act}). Afterwards each server
 * still serves a well-behaved client, and the child's open-fd count, heap (after a full GC) and malloc'd native
 * memory are back near what they were before the chaos; every line the servers printed, during and after, has one
 * of their known forms; and SIGTERM still stops the child with exit code 0.
 *
 * <p>{@code make test} runs each backend for {@value #DURATION_DEFAULT}; {@code make soak DURATION=10m} runs each for
 * that long ({@code -Dpollkit.chaos.duration}). {@code -Dpollkit.chaos.seed=S} replays a run's random choices (each
 * run prints its seed; thread timing still varies), {@code -Dpollkit.chaos.backends=epoll,poll} picks backends,
 * {@code -Dpollkit.chaos.clients=N} sets the clients per server.
 */
class ChaosTest {
    static final String DURATION_DEFAULT = "3s";
    static final int CLIENTS_DEFAULT = 20;
    /** Fewer than the clients, so that refusals are part of the chaos. */
    static final int MAX_CLIENTS = 16;
    /** A small cap, so that clients that never read reach it. */
    static final int MAX_QUEUED = 16 * 1024;
    static final Duration DURATION = duration(System.getProperty("pollkit.chaos.duration", DURATION_DEFAULT));
    static final int CLIENTS = Integer.getInteger("pollkit.chaos.clients", CLIENTS_DEFAULT);
    static final long SEED = Long.getLong("pollkit.chaos.seed", System.nanoTime());
    static final Set<String> BACKENDS = Set.of(System.getProperty("pollkit.chaos.backends", "select,poll,epoll,kqueue,io_uring,completion").split(","));
    static final Duration SETTLE = Duration.ofSeconds(20);

    /** After the chaos, a full GC leaves at most this much more heap in use than before it. */
    static final long HEAP_SLACK = 16L << 20;
    /** ... and at most this much more malloc'd memory (the servers' queues, the JIT's arenas, glibc's caches). */
    static final long MALLOC_SLACK = 48L << 20;
    /** ... and a resident set at most this much larger: a generous bound, against runaway growth. */
    static final long RSS_SLACK = 192L << 20;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backend.class)
    void serversSurviveChaos(Backend b, TestInfo info) {
        Backends.assumeAvailable(b, info);
        if (!BACKENDS.contains(b.id())) {
            String why = "SKIPPED ChaosTest on " + b.id() + ": not in -Dpollkit.chaos.backends=" + String.join(",", BACKENDS);
            System.out.println(why);
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        // The run's own bounds are the chaos time and the bounded waits after it; this is the last resort against a hang.
        assertTimeoutPreemptively(DURATION.plus(Duration.ofSeconds(150)), () -> chaos(b, Model.READINESS, b.id(), b.ordinal()));
    }

    /** The same on io_uring's completion model: echo and http driven by completions, tick (readiness only) on io_uring. */
    @org.junit.jupiter.api.Test
    void completionServersSurviveChaos(TestInfo info) {
        Engine.COMPLETION.assumeAvailable(info);
        if (!BACKENDS.contains("completion")) {
            String why = "SKIPPED ChaosTest on completion: not in -Dpollkit.chaos.backends=" + String.join(",", BACKENDS);
            System.out.println(why);
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        assertTimeoutPreemptively(DURATION.plus(Duration.ofSeconds(150)),
                () -> chaos(Backend.IO_URING, Model.COMPLETION, "completion", Backend.values().length));
    }

    /** {@code label} names the run in its output and files; {@code seedOffset} gives each run its own seed. */
    private void chaos(Backend b, Model model, String label, int seedOffset) throws Exception {
        long seed = SEED + seedOffset;
        System.out.println("chaos on " + label + ": seed " + seed + " (replay with -Dpollkit.chaos.seed=" + SEED + "), "
                + DURATION.toMillis() + " ms, " + CLIENTS + " clients per server, --max-clients=" + MAX_CLIENTS
                + " --max-queued=" + MAX_QUEUED);
        LogCheck check = new LogCheck();
        try (ChildJvm child = ChildJvm.start(ChaosServers.class.getName(),
                List.of(b.id(), String.valueOf(MAX_CLIENTS), String.valueOf(MAX_QUEUED), model.id()))) {
            child.err.drop(check::acceptLogLine);
            long pid = child.process.pid();
            Map<ServerKind, Integer> ports = new TreeMap<>();
            for (ServerKind k : ServerKind.values()) {
                String modelSuffix = model == Model.COMPLETION && k != ServerKind.TICK ? " model=completion" : "";
                Matcher m = child.out.await(name(k) + "\\| listening on 127\\.0\\.0\\.1:(\\d+) backend=" + b.id() + modelSuffix, 0,
                        ChildJvm.START);
                ports.put(k, Integer.parseInt(m.group(1)));
            }

            // The baseline: every server has served a client (its classes loaded, its buffers made), and all is quiet.
            for (ServerKind k : ServerKind.values()) assertServed(k, ports.get(k));
            check.awaitQuiet(SETTLE, child);
            Stats before = Stats.of(pid);

            Set<Socket> open = ChaosClient.newOpenSet();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            Map<ServerKind, AtomicLongArray> acts = new TreeMap<>(), actNanos = new TreeMap<>();
            long t0 = System.nanoTime(), deadline = t0 + DURATION.toNanos();
            List<Thread> clients = new ArrayList<>();
            for (ServerKind k : ServerKind.values()) {
                acts.put(k, new AtomicLongArray(ChaosClient.Act.values().length));
                actNanos.put(k, new AtomicLongArray(ChaosClient.Act.values().length));
                for (int i = 0; i < CLIENTS; i++) {
                    String name = name(k) + "-client-" + i;
                    ChaosClient c = new ChaosClient(k, ports.get(k), seed * 1_000_003L + k.ordinal() * 1000L + i, deadline, open,
                            failures, acts.get(k), actNanos.get(k), name);
                    clients.add(Thread.ofPlatform().name(name).daemon().start(c));
                }
            }
            watch(pid, deadline, check, failures, label);
            awaitClients(clients, open, deadline);
            long chaosMillis = (System.nanoTime() - t0) / 1_000_000;

            check.awaitQuiet(SETTLE, child);
            for (ServerKind k : ServerKind.values()) assertServed(k, ports.get(k));
            check.awaitQuiet(SETTLE, child);
            long fdsAfter = awaitFds(pid, before.fds);
            Stats after = Stats.of(pid);

            String acted = acts.keySet().stream().map(k -> "\n  " + name(k) + " acts (count, mean ms): "
                    + Arrays.stream(ChaosClient.Act.values()).map(a -> {
                        long n = acts.get(k).get(a.ordinal());
                        return a.name().toLowerCase() + " " + n + " " + (n == 0 ? 0 : actNanos.get(k).get(a.ordinal()) / n / 1_000_000);
                    }).collect(Collectors.joining(", "))).collect(Collectors.joining());
            System.out.printf("chaos on %s: %d ms%s%n  %s%n  fds %d -> %d; heap after full GC %.1f -> %.1f MiB;"
                            + " malloc in use %.1f -> %.1f MiB; VmRSS %.1f -> %.1f MiB%n",
                    label, chaosMillis, acted, check.summary(), before.fds, fdsAfter, mib(before.heapUsed), mib(after.heapUsed),
                    mib(before.mallocInUse), mib(after.mallocInUse), mib(before.rss), mib(after.rss));

            assertTrue(failures.isEmpty(), failures.size() + " exchanges came back wrong or not at all (seed " + SEED + "):\n  "
                    + failures.stream().limit(20).map(LogCheck::show).collect(Collectors.joining("\n  ")));
            check.assertWellFormed(child);
            assertEquals(before.fds, fdsAfter, "open fds of the server process before and after the chaos; now:\n" + fdList(pid));
            assertTrue(after.heapUsed <= before.heapUsed + HEAP_SLACK, "heap in use after a full GC grew from "
                    + before.heapUsed + " to " + after.heapUsed + " bytes");
            assertTrue(after.mallocInUse <= before.mallocInUse + MALLOC_SLACK, "malloc'd memory in use grew from "
                    + before.mallocInUse + " to " + after.mallocInUse + " bytes");
            assertTrue(after.rss <= before.rss + RSS_SLACK, "VmRSS grew from " + before.rss + " to " + after.rss + " bytes");

            child.sigterm();
            assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), "exit code after SIGTERM; stderr:\n" + LogCheck.show(child.err.tail()));
            check.assertWellFormed(child);
        }
    }

    /** A well-behaved client of {@code kind} is served, then leaves. */
    private static void assertServed(ServerKind kind, int port) throws IOException {
        Socket s = new Socket();
        try (s) {
            s.setSoTimeout(ChaosClient.READ_TIMEOUT_MILLIS);
            s.setTcpNoDelay(true);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), ChaosClient.READ_TIMEOUT_MILLIS);
            kind.assertServed(new Client(0, s));
        }
    }

    /** Waits for every client thread, bounded; past that, closes their sockets (unblocking any write) and fails. */
    private static void awaitClients(List<Thread> clients, Set<Socket> open, long deadline) throws Exception {
        long limit = deadline + TimeUnit.SECONDS.toNanos(ChaosClient.READ_TIMEOUT_MILLIS / 1000 + 15);
        for (Thread t : clients) t.join(Math.max(1, (limit - System.nanoTime()) / 1_000_000));
        List<String> stuck = clients.stream().filter(Thread::isAlive).map(Thread::getName).toList();
        if (stuck.isEmpty()) return;
        for (Socket s : open) s.close();
        for (Thread t : clients) t.join(5000);
        fail("clients still running long after the chaos ended (their sockets were closed): " + stuck);
    }

    /** Under a long run, a line of figures every tenth of it (at least every 10 s) while the clients run. */
    /**
     * Until the deadline: in a long run, a progress line every tenth of it; and at the first failure, the server
     * JVM's threads (jcmd Thread.print) into target/, to tell a loop blocked in a write, busy in a parser or
     * waiting in the poller from a client that was merely starved of CPU.
     */
    private static void watch(long pid, long deadline, LogCheck check, Queue<String> failures, String label) throws Exception {
        boolean report = DURATION.toSeconds() >= 60, dumped = false;
        long every = Math.max(TimeUnit.SECONDS.toNanos(10), DURATION.toNanos() / 10), next = System.nanoTime() + every;
        while (System.nanoTime() < deadline) {
            Thread.sleep(Math.max(1, Math.min(Math.min(next, deadline) - System.nanoTime(), 200_000_000L) / 1_000_000));
            if (!dumped && !failures.isEmpty()) {
                dumped = true;
                dumpThreads(pid, label, failures.peek());
            }
            if (!report || System.nanoTime() < next) continue;
            next += every;
            System.out.printf("  soak: %d s left; fds %d; VmRSS %.1f MiB; %s%n", (deadline - System.nanoTime()) / 1_000_000_000,
                    fds(pid), mib(Stats.rss(pid)), check.summary());
        }
    }

    private static void dumpThreads(long pid, String label, String failure) {
        Path to = ChildJvm.PROJECT.resolve("target/chaos-" + label + "-threads.txt");
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "Thread.print").redirectErrorStream(true)
                    .redirectOutput(to.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            System.out.println("  first failure (" + LogCheck.show(failure) + "): the servers' threads then are in " + to);
        } catch (IOException e) {
            System.out.println("  first failure; no thread dump: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (bounded) for the process's open fds to come back to {@code baseline}; returns the last count. */
    private static long awaitFds(long pid, long baseline) throws Exception {
        long end = System.nanoTime() + SETTLE.toNanos(), n;
        while ((n = fds(pid)) != baseline && System.nanoTime() < end) Thread.sleep(50);
        return n;
    }

    static long fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }

    private static String fdList(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.map(p -> {
                try {
                    return "  " + p.getFileName() + " -> " + Files.readSymbolicLink(p);
                } catch (IOException e) {
                    return "  " + p.getFileName() + " (gone)";
                }
            }).sorted().collect(Collectors.joining("\n"));
        }
    }

    private static String name(ServerKind k) {
        return k.name().toLowerCase();
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    static Duration duration(String s) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(s.strip());
        if (!m.matches()) throw new IllegalArgumentException("a duration is a number and a unit (500ms, 3s, 10m, 1h): '" + s + "'");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /**
     * The server process's figures: open fds, VmRSS, and from {@code jcmd} after a full GC the heap in use and glibc's
     * malloc'd bytes in use (System.native_heap_info, malloc_info(3): what the arenas took from the system, less
     * their free chunks, plus the mmap'd chunks).
     */
    record Stats(long fds, long rss, long heapUsed, long mallocInUse) {
        static Stats of(long pid) throws Exception {
            Path commands = Files.createTempFile("chaos-jcmd", ".txt");
            String report;
            try {
                Files.writeString(commands, "GC.run\nGC.heap_info\nSystem.native_heap_info\n");
                Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        String.valueOf(pid), "-f", commands.toString()).redirectErrorStream(true).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("jcmd " + pid + " did not finish within 60 s");
                }
                report = new String(out, StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), "jcmd " + pid + ":\n" + report);
            } finally {
                Files.deleteIfExists(commands);
            }
            // The generations' "total NNNK, used NNNK" (DefNew and Tenured: ChildJvm starts the serial collector);
            // Metaspace's line has no "total".
            long heap = 0;
            Matcher used = Pattern.compile("total \\d+K, used (\\d+)K").matcher(report);
            int generations = 0;
            for (; used.find(); generations++) heap += Long.parseLong(used.group(1)) << 10;
            assertTrue(generations > 0, "no heap figures in jcmd's GC.heap_info:\n" + report);
            // The totals after the last </heap>: the whole process's.
            String totals = report.substring(report.lastIndexOf("</heap>"));
            long malloc = malloc(totals, "system", "current") - malloc(totals, "total", "fast") - malloc(totals, "total", "rest")
                    + malloc(totals, "total", "mmap");
            return new Stats(ChaosTest.fds(pid), rss(pid), heap, malloc);
        }

        private static long malloc(String totals, String element, String type) {
            Matcher m = Pattern.compile("<" + element + " type=\"" + type + "\"(?: count=\"\\d+\")? size=\"(\\d+)\"/>").matcher(totals);
            if (!m.find()) throw new AssertionError("no <" + element + " type=\"" + type + "\"> in malloc_info's totals:\n" + totals);
            return Long.parseLong(m.group(1));
        }

        static long rss(long pid) throws IOException {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", "")) << 10;
            }
            throw new AssertionError("no VmRSS in /proc/" + pid + "/status");
        }
    }

    /**
     * Every line the child prints on stderr (the servers' logs) must have one of the servers' known forms; this checks
     * each one as it arrives (as LineCapture's drop filter: a good line is counted, not kept, so a long run holds no
     * log in memory) and keeps the bad ones. It also counts connects and disconnects per server, to know when all is
     * quiet.
     */
    static final class LogCheck {
        private static final Pattern LINE = Pattern.compile("(tick|echo|http)\\| (.*)", Pattern.DOTALL);
        private static final Pattern CONNECTED = Pattern.compile("client \\d+ connected");
        private static final Pattern DISCONNECTED = Pattern.compile("client \\d+ disconnected: (.+)", Pattern.DOTALL);
        private static final Pattern REFUSED = Pattern.compile("client \\d+ refused: (.+)", Pattern.DOTALL);
        private static final Pattern SAID = Pattern.compile("client said: (.*)", Pattern.DOTALL);
        private static final Pattern NOT_SHOWN = Pattern.compile("client \\d+: \\d+ lines not shown \\(over \\d+ a second\\)");
        private static final Pattern PAUSING = Pattern.compile("(.+); pausing accepts for \\d+ ms at a time until fds are free",
                Pattern.DOTALL);
        private static final Pattern RESUMING = Pattern.compile("resuming accepts: (.+)", Pattern.DOTALL);
        /** What LogText.escape leaves behind: a backslash only as \\, \xHH or \\uHHHH. */
        private static final Pattern ESCAPE = Pattern.compile("\\\\(?:\\\\|x[0-9a-f]{2}|u[0-9a-f]{4})");

        private final Map<String, long[]> counts = new ConcurrentHashMap<>();   // server -> connected, disconnected, refused, said, not-shown lines
        private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
        private final Queue<String> bad = new ConcurrentLinkedQueue<>();

        /** The drop filter: true (counted, not kept) for a well-formed line; a bad one is kept and remembered. */
        boolean acceptLogLine(String line) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) return keep(line);
            long[] c = counts.computeIfAbsent(m.group(1), k -> new long[5]);
            String body = m.group(2);
            Matcher x;
            synchronized (c) {
                if (CONNECTED.matcher(body).matches()) c[0]++;
                else if ((x = DISCONNECTED.matcher(body)).matches() && plain(x.group(1))) {
                    c[1]++;
                    reasons.computeIfAbsent(x.group(1).replaceAll("\\d+", "N"), k -> new LongAdder()).increment();
                } else if ((x = REFUSED.matcher(body)).matches() && plain(x.group(1))) c[2]++;
                else if ((x = SAID.matcher(body)).matches() && escaped(x.group(1))) c[3]++;
                else if (NOT_SHOWN.matcher(body).matches()) c[4]++;
                else if (((x = PAUSING.matcher(body)).matches() || (x = RESUMING.matcher(body)).matches()) && plain(x.group(1))) {
                    return true;
                } else return keep(line);
            }
            return true;
        }

        private boolean keep(String line) {
            bad.add(line);
            return false;
        }

        /** No character a log must not carry raw (as LogText defines them). */
        private static boolean plain(String s) {
            return s.chars().noneMatch(LogCheck::special);
        }

        private static boolean escaped(String s) {
            return plain(s) && ESCAPE.matcher(s).replaceAll("").indexOf('\\') < 0;
        }

        /** Lines as plain ASCII, for a failure message that must not drive the reader's terminal itself. */
        static String show(String line) {
            StringBuilder b = new StringBuilder();
            for (char c : line.toCharArray()) {
                if ((c >= 0x20 && c < 0x7f) || c == '\n') b.append(c);
                else b.append(String.format("\\u%04x", (int) c));
            }
            return b.toString();
        }

        private static boolean special(int c) {
            return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
                    || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
        }

        /** Waits (bounded) until every server has logged a disconnect for each connect; fails on a bad line meanwhile. */
        void awaitQuiet(Duration timeout, ChildJvm child) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!quiet()) {
                assertTrue(child.process.isAlive(), "the server process died; stderr:\n" + LogCheck.show(child.err.tail()));
                if (System.nanoTime() > end) fail("the servers did not log a disconnect for every client within " + timeout.toMillis()
                        + " ms: " + summary() + "\n" + LogCheck.show(child.err.tail()));
                Thread.sleep(20);
            }
        }

        private boolean quiet() {
            for (long[] c : counts.values()) {
                synchronized (c) {
                    if (c[0] != c[1]) return false;
                }
            }
            return true;
        }

        void assertWellFormed(ChildJvm child) {
            assertTrue(bad.isEmpty(), bad.size() + " log lines of no known form (shown with every character outside printable"
                    + " ASCII as \\uXXXX), for example:\n  " + bad.stream().limit(20).map(LogCheck::show).collect(Collectors.joining("\n  ")));
            Pattern listening = Pattern.compile("(tick|echo|http)\\| listening on 127\\.0\\.0\\.1:\\d+ backend=\\w+( model=completion)?");
            List<String> otherOut = child.out.lines().stream().filter(l -> !listening.matcher(l).matches()).toList();
            assertTrue(otherOut.isEmpty(), "stdout lines of no known form: " + otherOut);
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            for (String server : new TreeMap<>(counts).keySet()) {
                long[] c = counts.get(server);
                synchronized (c) {
                    b.append(String.format("%s: %d connected, %d disconnected, %d refused, %d said, %d not-shown reports; ",
                            server, c[0], c[1], c[2], c[3], c[4]));
                }
            }
            b.append("reasons: ").append(new TreeMap<>(reasons).entrySet().stream()
                    .map(e -> e.getKey() + " x" + e.getValue().sum()).collect(Collectors.joining(", ")));
            return b.toString();
        }
    }
}
