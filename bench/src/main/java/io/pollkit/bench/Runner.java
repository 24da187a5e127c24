package io.pollkit.bench;

import io.pollkit.bindings.sys_select_h;
import io.pollkit.poller.Backend;
import io.pollkit.sys.Kqueue;
import io.pollkit.uring.Availability;
import io.pollkit.sys.Transport;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs W1 and W4 (JMH for Java, the C baselines of native/baselines) and W2 ({@link W2Http}: wrk against pollkit's
 * and C's http servers) in interleaved rounds ({@link Rounds}: every implementation of a case once per round, in an
 * order that changes from round to round), then W3 ({@link W3Tick}: N clients on the tick servers, one run per
 * server), and writes {@code bench/results/<timestamp>/}: one JSON line per figure in {@code w1.jsonl} ..
 * {@code w4.jsonl}
 * ({@link Result}'s shape), {@code meta.json}, JMH's log and raw JSON under {@code raw/}; then
 * {@link Report} turns them into results.json, results.md and charts/, and the run is copied to
 * {@code bench/results/latest/} (not a smoke run). Exit status 1 when any case failed.
 *
 * <pre>
 * usage: bench/run [--profile=smoke|quick|full] [--filter=REGEX] [--list] [--jni=auto|off]
 *                  [--n=10,1000] [--k=1,10] [--rounds=R] [--warmup=ITERATIONSxMS] [--measure=ITERATIONSxMS]
 *                  [--w2-c=1,50,500] [--w2-d=SECONDS] [--w2-reps=R] [--w2-warm=S] [--w3-n=10,100] [--w3-ticks=T]
 *                  [--root=DIR] [--out=DIR]
 * </pre>
 */
public final class Runner {
    /**
     * How long and how much each profile measures. {@code rounds}: W1's and W4's interleaved rounds, each one JMH
     * fork of the given warm-up and measurement per Java case and one C run of {@code cSamples} per C case.
     */
    record Profile(String name, int rounds, int warmupIterations, int warmupMs, int iterations, int iterationMs,
                   List<Integer> ns, List<Integer> ks, int cSamples, int cSampleMs, boolean smoke, Load load) {
        String describe() {
            return String.format(Locale.ROOT, "W1/W4: %d interleaved round(s), each a JMH fork of %d x %d ms warm-up and "
                            + "%d x %d ms measurement per Java case and %d C samples of about %d ms after an untimed warm-up; %s",
                    rounds, warmupIterations, warmupMs,
                    iterations, iterationMs, cSamples, cSampleMs, load.describe());
        }

        /** How long one JMH fork warms its benchmark up before measuring it. */
        long warmupTotalMs() {
            return (long) warmupIterations * warmupMs;
        }
    }

    /**
     * W2 and W3: wrk's connection counts, warm-up and measured seconds and how many measured runs per server (W2's
     * interleaved rounds);
     * W3's client counts, measured ticks, ticks skipped first, and whether the disturbed run follows the quiet one.
     */
    record Load(List<Integer> w2Conns, int w2WarmS, int w2Seconds, int w2Reps, List<Integer> w3Ns, int w3Ticks,
                int w3Warm, boolean w3Disturbed) {
        String describe() {
            return String.format(Locale.ROOT, "W2: wrk -t1 -c%s, %d s warm-up, %d round(s) of %d s; W3: N=%s, %d ticks "
                            + "of 100 ms measured after %d, %s", join(w2Conns), w2WarmS, w2Reps, w2Seconds, join(w3Ns), w3Ticks,
                    w3Warm, w3Disturbed ? "quiet and disturbed" : "quiet only");
        }

        private static String join(List<Integer> v) {
            return v.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
        }
    }

    static Profile profile(String name) {
        return switch (name) {
            // One case of each workload, as short as can be: proves the pipeline, measures nothing.
            // Two rounds, so that the ratio pipeline runs too.
            case "smoke" -> new Profile(name, 2, 1, 100, 1, 100, List.of(10), List.of(1), 3, 20, true,
                    new Load(List.of(50), 1, 1, 2, List.of(10), 20, 2, false));
            // About 15 minutes on 2 idle cores (W1/W4 8, W2 3, W3 3): the headline cases, three rounds.
            case "quick" -> new Profile(name, 3, 2, 500, 3, 500, List.of(10, 1000), List.of(1), 5, 100, false,
                    new Load(List.of(50), 3, 5, 3, List.of(100), 50, 3, true));
            case "full" -> new Profile(name, 5, 2, 1000, 3, 1000, List.of(10, 100, 1000, 9000), List.of(1, 10), 10, 200, false,
                    new Load(List.of(1, 50, 500), 5, 10, 5, List.of(10, 100, 1000), 50, 3, true));
            default -> throw new IllegalArgumentException("--profile=" + name + ": smoke, quick or full");
        };
    }

    static final List<String> W1_BACKENDS = List.of("select", "poll", "epoll", "kqueue", "io_uring");
    /**
     * The backends with a syscall-level W1 (C's w1-dispatch, W1Sys over FFM and JNI); io_uring's readiness is
     * measured through its Poller (pollkit-poller), its rings having no JNI twin and no C baseline in W1.
     */
    static final List<String> W1_SYS_BACKENDS = List.of("select", "poll", "epoll", "kqueue");
    /** The backends of the C servers (http-hello, tick-server), and so of W2. */
    static final List<String> C_SERVER_BACKENDS = List.of("epoll", "poll");
    /** W3's tick interval, milliseconds. */
    static final int W3_INTERVAL_MS = 100;
    /** W3: the quiet run, and the run with a flooding and a non-reading client. */
    static final String QUIET = "quiet", DISTURBED = "disturbed";
    static final List<String> W4_CALLS = List.of("getpid", "poll");
    private static final long C_TIMEOUT_SECONDS = 600;

    private final Path root, runDir, rawDir;
    private final Profile profile;
    private final String kqueueLib;   // the library kqueue comes from, or null: the C library's, or none
    private final String kqueueSkip;  // null: kqueue runs
    private final String ioUringSkip = Backend.IO_URING.unavailableReason();   // null: io_uring runs
    private final String jniLib;      // null: JNI cases are skipped (jniSkip says why)
    private final String jniSkip;
    private final List<String> forkArgs = new ArrayList<>();
    private final String w2Skip;      // null: W2 runs
    private final boolean pin;        // taskset is there: W2 pins the server and wrk
    private final long nofile;        // RLIMIT_NOFILE raised to the hard limit: what a case may open here
    private final Map<Case, List<String>> cArgv = new HashMap<>();   // a C case's calibrated command, from its first round
    private Map<String, List<String>> w2Jvm = Map.of();   // --w2-jvm: extra pollkit rows of W2, by name, with these JVM flags
    private PrintStream jmhLog;

    private Runner(Path root, Path outDir, Profile profile, String jniMode) {
        this.root = root;
        this.profile = profile;
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        this.runDir = outDir.resolve(stamp + (profile.name().equals("quick") ? "" : "-" + profile.name()));
        this.rawDir = runDir.resolve("raw");

        // Whether kqueue runs is Backend's call (this JVM sees the same library setting as the forks and servers);
        // the runner only passes the library on, by a path that holds from any working directory.
        kqueueSkip = Backend.KQUEUE.unavailableReason();
        String lib = System.getProperty(Kqueue.LIBRARY_PROPERTY, System.getenv(Kqueue.LIBRARY_ENV));
        kqueueLib = kqueueSkip != null || lib == null || lib.isBlank() ? null
                : lib.contains("/") ? Path.of(lib).toAbsolutePath().toString() : lib;

        Path jni = root.resolve("target/native/libpollkit-jni.so");
        if (jniMode.equals("off")) {
            jniLib = null;
            jniSkip = "--jni=off";
        } else if (!Files.isRegularFile(jni)) {
            jniLib = null;
            jniSkip = jni + " does not exist (`make jni` builds it)";
        } else {
            jniLib = jni.toString();
            jniSkip = null;
        }

        pin = ServerProcess.onPath("taskset");
        long limit;
        try {
            limit = Pairs.raiseNofile();
        } catch (io.pollkit.sys.ErrnoException e) {
            limit = Long.MAX_VALUE;   // unknown: let the case find out
        }
        nofile = limit;
        w2Skip = ServerProcess.onPath("wrk") ? null
                : "wrk is not installed (apt-get install wrk; `make bench` installs it when run as root with apt-get)";

        forkArgs.add("--enable-native-access=ALL-UNNAMED");
        // JMH 1.37 calls sun.misc.Unsafe, which JDK 23+ warns about on every fork; that is JMH's, not pollkit's.
        if (Runtime.version().feature() >= 23) forkArgs.add("--sun-misc-unsafe-memory-access=allow");
        if (kqueueLib != null) forkArgs.add("-D" + Kqueue.LIBRARY_PROPERTY + "=" + kqueueLib);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new LinkedHashMap<>();
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(USAGE);
                return;
            }
            if (a.equals("--list")) {
                flags.put("list", "true");
                continue;
            }
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) usage("unknown argument: " + a);
            flags.put(a.substring(2, eq), a.substring(eq + 1));
        }
        Profile p;
        try {
            p = profile(flags.getOrDefault("profile", "quick"));
            p = overrides(p, flags);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        for (String key : flags.keySet()) {
            if (!List.of("profile", "filter", "list", "jni", "n", "k", "rounds", "warmup", "measure", "w2-c", "w2-d", "w2-reps",
                    "w3-n", "w3-ticks", "w2-jvm", "w2-warm", "root", "out").contains(key)) {
                usage("unknown flag --" + key);
            }
        }
        Path root = Path.of(flags.getOrDefault("root", System.getProperty("pollkit.root", "."))).toAbsolutePath().normalize();
        Path out = flags.containsKey("out") ? Path.of(flags.get("out")).toAbsolutePath() : root.resolve("bench/results");
        String jni = flags.getOrDefault("jni", "auto");
        if (!jni.equals("auto") && !jni.equals("off")) usage("--jni=" + jni + ": auto or off");

        Runner r = new Runner(root, out, p, jni);
        if (flags.containsKey("w2-jvm")) {
            try {
                r.w2Jvm = w2Jvm(flags.get("w2-jvm"));
            } catch (IllegalArgumentException e) {
                usage(e.getMessage());
            }
        }
        List<Case> plan = r.plan();
        if (flags.containsKey("filter")) {
            Pattern f = Pattern.compile(flags.get("filter"));
            plan = plan.stream().filter(c -> f.matcher(c.label()).find()).toList();
        }
        if (flags.containsKey("list")) {
            for (Case c : plan) System.out.println(c.label() + (c.skip() != null ? "  (skipped: " + c.skip() + ")" : ""));
            System.out.printf(Locale.ROOT, "%d cases; estimated duration %.0f min on an idle machine%n", plan.size(),
                    r.estimateSeconds(plan) / 60);
            return;
        }
        // bench/run always passes its own --root: the recorded command is what the user typed.
        System.exit(r.run(plan, String.join(" ", Arrays.stream(args).filter(a -> !a.startsWith("--root=")).toList())));
    }

    private static final String USAGE = """
            usage: bench/run [--profile=smoke|quick|full] [--filter=REGEX] [--list] [--jni=auto|off]
                             [--n=10,1000] [--k=1,10] [--rounds=R] [--warmup=ITERATIONSxMS] [--measure=ITERATIONSxMS]
                             [--w2-c=1,50,500] [--w2-d=SECONDS] [--w2-reps=R] [--w2-warm=S] [--w3-n=10,100] [--w3-ticks=T]
                             [--root=DIR] [--out=DIR]
            Runs the workloads of docs/WORKLOADS.md: W1 (dispatch) and W4 (downcall) with JMH beside the C
            baselines of native/baselines and W2 (http-hello: wrk against pollkit's and C's servers), each in
            interleaved rounds (the implementations of a case in a changing order, a ratio to C per round), and
            W3 (tick fan-out: N clients timestamping ticks); writes bench/results/<timestamp>/ (results.md, results.json,
            charts/*.svg), copied to bench/results/latest/ (except smoke runs). Exit 1 if a case failed.
              --profile  smoke: one case of each workload, as short as can be, 2 rounds; quick (default): 3 rounds
                         of W1 N=10,1000 K=1 and W4, W2 c=50 3 x 5 s, W3 N=100 quiet and disturbed, ~15 min; full:
                         every parameter, 5 rounds (it prints its estimated duration at the start)
              --filter   only the cases whose label matches, e.g. 'W1 .* epoll', '^W2', 'W3 .* disturbed' (see --list)
              --jni      auto: add the JNI run when target/native/libpollkit-jni.so exists; off: never
              --rounds   the interleaved rounds of W1, W4 and W2 (W2's alone: --w2-reps)
              --n, --k, --warmup, --measure   override the profile's W1/W4 values (per round: one JMH fork)
              --w2-c, --w2-d, --w2-reps, --w2-warm, --w3-n, --w3-ticks   override the profile's W2/W3 values
              --w2-jvm   'NAME=JVM FLAGS[;NAME=FLAGS...]': W2 also runs pollkit's server with those JVM flags as the
                         row pollkit-NAME, in the same rounds (a side-by-side A/B of flags), e.g.
                         --w2-jvm='serial=-XX:+UseSerialGC;c2only=-XX:-TieredCompilation'""";

    private static void usage(String message) {
        System.err.println("bench: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }

    private static Profile overrides(Profile p, Map<String, String> f) {
        List<Integer> ns = f.containsKey("n") ? ints(f.get("n")) : p.ns();
        List<Integer> ks = f.containsKey("k") ? ints(f.get("k")) : p.ks();
        int rounds = f.containsKey("rounds") ? Integer.parseInt(f.get("rounds")) : p.rounds();
        int[] w = f.containsKey("warmup") ? itersByMs(f.get("warmup")) : new int[] {p.warmupIterations(), p.warmupMs()};
        int[] m = f.containsKey("measure") ? itersByMs(f.get("measure")) : new int[] {p.iterations(), p.iterationMs()};
        if (rounds < 1 || rounds > 50 || m[0] < 1) throw new IllegalArgumentException("--rounds: 1..50; at least one measurement iteration");
        for (int n : ns) if (n < 1 || n > 100000) throw new IllegalArgumentException("--n: 1..100000");
        for (int k : ks) if (k < 1 || k > 1000) throw new IllegalArgumentException("--k: 1..1000");
        Load l = p.load();
        List<Integer> conns = f.containsKey("w2-c") ? ints(f.get("w2-c")) : l.w2Conns();
        int w2s = f.containsKey("w2-d") ? Integer.parseInt(f.get("w2-d")) : l.w2Seconds();
        int w2warm = f.containsKey("w2-warm") ? Integer.parseInt(f.get("w2-warm")) : l.w2WarmS();
        int w2reps = f.containsKey("w2-reps") ? Integer.parseInt(f.get("w2-reps")) : f.containsKey("rounds") ? rounds : l.w2Reps();
        List<Integer> w3ns = f.containsKey("w3-n") ? ints(f.get("w3-n")) : l.w3Ns();
        int ticks = f.containsKey("w3-ticks") ? Integer.parseInt(f.get("w3-ticks")) : l.w3Ticks();
        for (int c : conns) if (c < 1 || c > 5000) throw new IllegalArgumentException("--w2-c: 1..5000");
        if (w2s < 1 || w2s > 600 || w2reps < 1 || w2reps > 20) throw new IllegalArgumentException("--w2-d: 1..600, --w2-reps: 1..20");
        if (w2warm < 0 || w2warm > 600) throw new IllegalArgumentException("--w2-warm: 0..600");
        for (int n : w3ns) if (n < 1 || n > 10000) throw new IllegalArgumentException("--w3-n: 1..10000");
        if (ticks < 2 || ticks > 10000) throw new IllegalArgumentException("--w3-ticks: 2..10000");
        Load load = new Load(conns, w2warm, w2s, w2reps, w3ns, ticks, l.w3Warm(), l.w3Disturbed());
        return new Profile(p.name(), rounds, w[0], w[1], m[0], m[1], ns, ks, p.cSamples(), p.cSampleMs(), p.smoke(), load);
    }

    /** --w2-jvm's value: NAME=FLAGS entries separated by ';', in order. */
    static Map<String, List<String>> w2Jvm(String value) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String entry : value.split(";")) {
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).trim();
            if (!name.matches("[a-z0-9][a-z0-9-]*")) {
                throw new IllegalArgumentException("--w2-jvm: each entry is NAME=FLAGS with a lower-case NAME (a-z, 0-9, -): " + entry);
            }
            List<String> flags = Stream.of(entry.substring(eq + 1).trim().split("\\s+")).filter(f -> !f.isEmpty()).toList();
            if (flags.isEmpty() || !flags.stream().allMatch(f -> f.startsWith("-"))) {
                throw new IllegalArgumentException("--w2-jvm: " + name + " needs JVM flags, each starting with '-': " + entry);
            }
            if (rows.put(name, flags) != null) throw new IllegalArgumentException("--w2-jvm: " + name + " twice");
        }
        return rows;
    }

    private static List<Integer> ints(String s) {
        try {
            return Stream.of(s.split(",")).map(String::trim).map(Integer::valueOf).toList();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a list of numbers: " + s);
        }
    }

    private static int[] itersByMs(String s) {
        String[] p = s.split("x");
        try {
            if (p.length != 2) throw new NumberFormatException();
            return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected ITERATIONSxMS, e.g. 3x1000: " + s);
        }
    }

    // ---- the plan ----

    List<Case> plan() {
        List<Case> plan = new ArrayList<>();
        String native_ = root.resolve("target/native").toString();
        List<String> jniArgs = jniLib == null ? List.of()
                : List.of("-D" + Transport.PROPERTY + "=" + Transport.JNI.id(), "-D" + Transport.LIBRARY_PROPERTY + "=" + jniLib);

        // W4: C, then the same call through FFM, FFM critical, FFM without the bounds checks (poll) and JNI.
        for (String call : profile.smoke() ? List.of("getpid") : W4_CALLS) {
            plan.add(Case.c("W4", null, call, null, null, List.of(native_ + "/w4-downcall", "--call=" + call)));
            plan.add(Case.jmh("W4", "ffm", null, call, null, null, W4Downcall.class, call, Map.of(), List.of()));
            if (!profile.smoke()) {
                plan.add(Case.jmh("W4", "ffm-critical", null, call, null, null, W4Downcall.class, call + "Critical", Map.of(), List.of()));
                // The bounds check's cost: the same generated downcall without the public call's checks.
                if (call.equals("poll")) {
                    plan.add(Case.jmh("W4", "ffm-unchecked", null, call, null, null, W4Downcall.class, "pollUnchecked", Map.of(), List.of()));
                }
            }
            Case jni = Case.jmh("W4", "jni", null, call, null, null, W4Downcall.class, call, Map.of(), jniArgs);
            plan.add(jniLib == null ? jni.skipped(jniSkip) : jni);
        }

        // W1: per backend, N and K: C, then FFM, JNI, the Poller layer and NIO.
        for (String backend : profile.smoke() ? List.of("epoll") : W1_BACKENDS) {
            for (int n : profile.ns()) {
                for (int k : profile.ks()) {
                    if (k > n) continue;
                    String skip = null;
                    if (backend.equals("kqueue") && kqueueSkip != null) skip = kqueueSkip;
                    if (backend.equals("io_uring") && ioUringSkip != null) skip = ioUringSkip;
                    // fds 0-2 are taken at least: the read ends reach N + 2 (w1-dispatch refuses the same).
                    if (backend.equals("select") && n + 3 > sys_select_h.FD_SETSIZE()) {
                        skip = "select: N=" + n + " read ends pass FD_SETSIZE (" + sys_select_h.FD_SETSIZE() + ")";
                    }
                    if (skip == null) skip = fdSkip(2L * n + 64, "N=" + n + " socketpairs");
                    Map<String, String> params = Map.of("backend", backend, "n", Integer.toString(n), "k", Integer.toString(k));
                    List<Case> group = new ArrayList<>();
                    if (W1_SYS_BACKENDS.contains(backend)) {
                        List<String> cCommand = List.of(native_ + "/w1-dispatch", "--backend=" + backend, "--n=" + n, "--k=" + k);
                        group.add(Case.c("W1", backend, null, n, k, cCommand));
                        if (!profile.smoke() && (backend.equals("select") || backend.equals("poll"))) {
                            group.add(Case.cMultiThreaded("W1", backend, n, k, cCommand));
                        }
                        group.add(Case.jmh("W1", "ffm", backend, null, n, k, W1Sys.class, "round", params, List.of()));
                        Case jni = Case.jmh("W1", "jni", backend, null, n, k, W1Sys.class, "round", params, jniArgs);
                        group.add(jniLib == null && skip == null ? jni.skipped(jniSkip) : jni);
                    }
                    if (!profile.smoke()) {
                        group.add(Case.jmh("W1", "pollkit-poller", backend, null, n, k, W1Poller.class, "round", params, List.of()));
                        if (backend.equals("epoll")) {
                            group.add(Case.jmh("W1", "nio", backend, null, n, k, W1Nio.class, "round", params, List.of()));
                        } else if (backend.equals("poll")) {
                            group.add(Case.jmh("W1", "nio", backend, null, n, k, W1Nio.class, "round", params,
                                    List.of("-D" + W1Nio.PROVIDER_PROPERTY + "=" + W1Nio.POLL_PROVIDER)));
                        }
                    }
                    for (Case c : group) plan.add(skip == null ? c : c.skipped(skip));
                }
            }
        }
        planW2(plan);
        planW3(plan);
        return plan;
    }

    /** Why a case that needs {@code fds} open files cannot run here, or null when the hard RLIMIT_NOFILE allows them. */
    private String fdSkip(long fds, String what) {
        return fds <= nofile ? null
                : what + " need about " + fds + " fds; RLIMIT_NOFILE's hard limit here is " + nofile + " (ulimit -Hn)";
    }

    /** The command of a pollkit server: this JDK's java, the pollkit jar, the kqueue library when there is one. */
    private List<String> pollkitServer(String server, String backend, String... flags) {
        return pollkitServer(List.of(), server, backend, flags);
    }

    /** {@link #pollkitServer(String, String, String...)} with these JVM flags before -jar. */
    private List<String> pollkitServer(List<String> jvmFlags, String server, String backend, String... flags) {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        argv.addAll(jvmFlags);
        if (kqueueLib != null) argv.add("-D" + Kqueue.LIBRARY_PROPERTY + "=" + kqueueLib);
        argv.addAll(List.of("-jar", root.resolve("target/pollkit.jar").toString(), server, "--backend=" + backend, "--port=0"));
        argv.addAll(List.of(flags));
        return argv;
    }

    /** W2's warm-up goes on, in runs of the profile's warm-up, until the server's JIT is quiet, this long at most. */
    static final int W2_MAX_WARM_S = 90;
    /** What that warm-up took for pollkit's http server here (9–15 s): the duration estimate's figure for a JVM server. */
    private static final int W2_JVM_WARM_S = 15;

    /** W2's row of pollkit's http server on io_uring readiness (--backend=io_uring), run in the epoll group's rounds. */
    static final String W2_URING_READINESS = "pollkit-io_uring";

    /** W2's servers on more than one core: C's http-hello with this many worker processes, pollkit's http with as many loops. */
    static final int W2_LOOPS = 2;
    /** The case of those rows; they run unpinned (W2Http), server and wrk sharing the cores. */
    static final String W2_LOOPS_CASE = "loops=" + W2_LOOPS;

    /**
     * W2: per connection count and backend, C's http-hello and pollkit's http server (smoke too: it proves the rounds);
     * and, beside epoll's, pollkit's server on io_uring readiness ({@link #W2_URING_READINESS});
     * then both on {@link #W2_LOOPS} cores (epoll: C's SO_REUSEPORT workers, pollkit's --loops); then io_uring's
     * completion model, C's http-hello-uring and pollkit's http --model=completion, a group of their own (backend
     * io_uring: the ratio is pollkit's completion server over C's).
     */
    private void planW2(List<Case> plan) {
        Load l = profile.load();
        String http = root.resolve("target/native/http-hello").toString();
        String httpUring = root.resolve("target/native/http-hello-uring").toString();
        for (int c : l.w2Conns()) {
            for (String backend : profile.smoke() ? List.of("epoll") : C_SERVER_BACKENDS) {
                List<Case> group = new ArrayList<>();
                group.add(Case.server("W2", "c", backend, null, c, List.of(http, "--backend=" + backend, "--port=0")));
                group.add(Case.server("W2", "pollkit", backend, null, c, pollkitServer("http", backend, "--max-clients=1000")));
                w2Jvm.forEach((name, jvm) -> group.add(Case.server("W2", "pollkit-" + name, backend, null, c,
                        pollkitServer(jvm, "http", backend, "--max-clients=1000"))));
                String skip = w2Skip != null ? w2Skip : fdSkip(c + 64L, c + " connections");
                for (Case x : group) plan.add(skip == null ? x : x.skipped(skip));
                if (backend.equals("epoll") && !profile.smoke()) {
                    // The same server on io_uring's readiness (IORING_OP_POLL_ADD) in epoll's rounds: so that
                    // "readiness through io_uring against epoll" is a ratio taken side by side, not two runs'.
                    Case x = Case.server("W2", W2_URING_READINESS, backend, null, c,
                            pollkitServer("http", "io_uring", "--max-clients=1000"));
                    String s = skip != null ? skip : ioUringSkip;
                    plan.add(s == null ? x : x.skipped(s));
                }
            }
            if (profile.smoke()) continue;
            for (Case x : List.of(
                    Case.server("W2", "c", "epoll", W2_LOOPS_CASE, c, List.of(http, "--backend=epoll", "--port=0", "--workers=" + W2_LOOPS)),
                    Case.server("W2", "pollkit", "epoll", W2_LOOPS_CASE, c, pollkitServer("http", "epoll", "--max-clients=1000",
                            "--loops=" + W2_LOOPS)))) {
                plan.add(w2Skip == null ? x : x.skipped(w2Skip));
            }
            // io_uring's completion model: C's http-hello-uring (liburing) and pollkit's http server with
            // --model=completion (multishot accept and recv into provided buffers, one io_uring_enter a turn).
            String uring = w2Skip != null ? w2Skip : uringSkip();
            if (uring == null) uring = fdSkip(c + 64L, c + " connections");
            Case cUring = Case.server("W2", "c", "io_uring", null, c, List.of(httpUring, "--port=0"));
            Case pollkitUring = Case.server("W2", "pollkit", "io_uring", null, c, pollkitCompletionHttp());
            String cSkip = uring != null || Files.isExecutable(Path.of(httpUring)) ? uring
                    : httpUring + " is not built: `make native` builds it with liburing (Debian's liburing-dev)";
            plan.add(cSkip == null ? cUring : cUring.skipped(cSkip));
            plan.add(uring == null ? pollkitUring : pollkitUring.skipped(uring));
        }
    }

    /** Why the io_uring rows of W2 cannot run here, or null. */
    private static String uringSkip() {
        return Availability.unavailableReason();
    }

    /** pollkit's http server on io_uring's completions (no --backend: the model implies io_uring). */
    private List<String> pollkitCompletionHttp() {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", root.resolve("target/pollkit.jar").toString(), "http",
                "--model=completion", "--port=0", "--max-clients=1000"));
        return argv;
    }

    /** W3: per N and run (quiet, disturbed): C's tick-server, pollkit's tick server and its raw-tick, per backend. */
    private void planW3(List<Case> plan) {
        Load l = profile.load();
        String tick = root.resolve("target/native/tick-server").toString();
        List<String> runs = l.w3Disturbed() ? List.of(QUIET, DISTURBED) : List.of(QUIET);
        for (int n : l.w3Ns()) {
            String max = "--max-clients=" + (n + 10);
            String interval = "--interval=" + W3_INTERVAL_MS;
            for (String run : runs) {
                if (profile.smoke()) {
                    plan.add(Case.server("W3", "pollkit", "epoll", run, n, pollkitServer("tick", "epoll", interval, max)));
                    continue;
                }
                for (String backend : W1_BACKENDS) {
                    String skip = null;
                    if (backend.equals("kqueue") && kqueueSkip != null) skip = kqueueSkip;
                    if (backend.equals("io_uring") && ioUringSkip != null) skip = ioUringSkip;
                    // The server's fds: its clients, the two disturbing ones, and the JVM's own (jars, the poller, ...).
                    if (backend.equals("select") && n + 2 + 64 > sys_select_h.FD_SETSIZE()) {
                        skip = "select: N=" + n + " clients' fds pass FD_SETSIZE (" + sys_select_h.FD_SETSIZE() + ")";
                    }
                    if (skip == null) skip = fdSkip(n + 2 + 64L, n + " clients");
                    List<Case> group = new ArrayList<>();
                    if (C_SERVER_BACKENDS.contains(backend)) {
                        group.add(Case.server("W3", "c", backend, run, n, List.of(tick, "--backend=" + backend, "--port=0",
                                interval, max, "--quiet")));
                    }
                    group.add(Case.server("W3", "pollkit", backend, run, n, pollkitServer("tick", backend, interval, max)));
                    group.add(Case.server("W3", "pollkit-raw", backend, run, n, pollkitServer("raw-tick", backend, interval, max)));
                    for (Case x : group) plan.add(skip == null ? x : x.skipped(skip));
                }
            }
        }
    }

    // ---- running ----

    int run(List<Case> plan, String commandLine) throws IOException {
        Files.createDirectories(rawDir);
        long runnable = plan.stream().filter(c -> c.skip() == null).count();
        long w2Cases = plan.stream().filter(c -> c.skip() == null && c.workload().equals("W2")).count();
        double estimate = estimateSeconds(plan);

        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("profile", profile.name());
        meta.put("settings", profile.describe());
        meta.put("rounds", profile.rounds() == profile.load().w2Reps() ? Integer.toString(profile.rounds())
                : profile.rounds() + " (W1, W4), " + profile.load().w2Reps() + " (W2)");
        meta.put("estimated_s", Math.round(estimate));
        meta.put("command", "bench/run " + commandLine);
        meta.put("started", LocalDateTime.now().toString());
        meta.put("load_start", Machine.loadAverage());
        meta.put("machine", Machine.describe(root));
        meta.put("kqueue_lib", kqueueLib == null || !kqueueLib.contains("/") ? kqueueLib : show(Path.of(kqueueLib)));
        meta.put("kqueue_is_test_double", kqueueLib != null && kqueueLib.contains("kqueue-double"));
        meta.put("jni_lib", jniLib == null ? null : show(Path.of(jniLib)));
        meta.put("fork_jvm_args", forkArgs);
        meta.put("w2_pinned", pin);
        meta.put("w2_wrk", w2Skip == null ? "wrk" : null);
        meta.put("clk_tck", ServerProcess.CLK_TCK);
        meta.put("rlimit_nofile", nofile == Long.MAX_VALUE ? -1 : nofile);   // raised in the constructor: W3's clients live here
        meta.put("w3_interval_ms", W3_INTERVAL_MS);
        meta.put(TargetSummary.WARMUP_MS, profile.warmupTotalMs());
        meta.put(TargetSummary.C2_THRESHOLD, TargetSummary.c2InvocationThreshold());
        writeMeta(meta);

        System.out.printf(Locale.ROOT, "pollkit bench, profile %s: %d cases (%d skipped) -> %s%n", profile.name(), runnable,
                plan.size() - runnable, show(runDir));
        System.out.printf(Locale.ROOT, "  %s%n  estimated duration: %s on an idle machine (until about %s); more when it is loaded%n",
                profile.describe(), estimate < 120 ? Math.round(estimate) + " s" : Math.round(estimate / 60) + " min",
                LocalDateTime.now().plusSeconds(Math.round(estimate)).format(DateTimeFormatter.ofPattern("HH:mm")));
        if (kqueueLib != null && (Boolean) meta.get("kqueue_is_test_double")) {
            System.out.println("  kqueue: through the C test double " + kqueueLib + " (epoll underneath, not real kqueue)");
        } else if (kqueueSkip != null) {
            System.out.println("  kqueue: skipped: " + kqueueSkip);
        }
        System.out.println("  jni: " + (jniLib != null ? "with " + jniLib : "skipped: " + jniSkip));
        if (w2Cases > 0) {
            System.out.println("  W2: " + (pin ? "server pinned to CPU " + W2Http.SERVER_CPU + ", wrk to CPU " + W2Http.LOAD_CPU
                    : "taskset is missing: server and wrk run unpinned"));
        } else if (w2Skip != null) {
            System.out.println("  W2: skipped: " + w2Skip);
        }

        int failures = 0, step = 0;
        List<List<Case>> groups = Rounds.groups(plan);
        int steps = 0;   // an interleaved group is one step, each case outside rounds another
        for (List<Case> g : groups) {
            long live = g.stream().filter(c -> c.skip() == null).count();
            steps += live == 0 ? 0 : Rounds.interleaved(g.get(0)) ? 1 : (int) live;
        }
        long start = System.nanoTime();
        try (PrintStream log = new PrintStream(new FileOutputStream(rawDir.resolve("jmh.log").toFile(), true), true,
                StandardCharsets.UTF_8)) {
            jmhLog = log;
            for (List<Case> group : groups) {
                List<Case> live = new ArrayList<>();
                for (Case c : group) {
                    if (c.skip() != null) record(Result.notMeasured(c, Result.SKIPPED, c.skip()));
                    else live.add(c);
                }
                if (live.isEmpty()) continue;
                if (Rounds.interleaved(live.get(0))) {
                    failures += runRounds(live, ++step, steps);
                } else {
                    for (Case c : live) failures += runOnce(c, ++step, steps);
                }
            }
        } finally {
            jmhLog = null;
        }

        meta.put("finished", LocalDateTime.now().toString());
        meta.put("duration_s", Math.round((System.nanoTime() - start) / 1e9));
        meta.put("load_end", Machine.loadAverage());
        meta.put("failures", failures);
        writeMeta(meta);
        Report.generate(runDir);
        // latest/ is the last real measurement: a smoke run, which measures nothing, leaves it alone.
        Path latest = runDir.getParent().resolve("latest");
        if (!profile.smoke()) copyTree(runDir, latest);
        double took = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "done in %s: %s%s%n", took < 120 ? Math.round(took) + " s" : String.format(Locale.ROOT, "%.1f min", took / 60),
                show(runDir.resolve("results.md")), profile.smoke() ? "" : " (also " + show(latest) + ")");
        if (failures > 0) System.out.println(failures + " case(s) FAILED: see results.md and " + show(rawDir));
        return failures > 0 ? 1 : 0;
    }

    /** A case that did not produce a figure; the message says why. */
    static final class CaseFailure extends Exception {
        private static final long serialVersionUID = 1L;

        CaseFailure(String message) {
            super(message);
        }
    }

    // ---- interleaved rounds ----

    /**
     * Runs the members of one case (its implementations) in interleaved rounds ({@link Rounds}), recording each
     * round's figures with their round; a member that fails is recorded as failed and left out of the later
     * rounds. Prints each round's figures as they come, then the case's ratios. Returns the failures.
     */
    private int runRounds(List<Case> members, int step, int steps) throws IOException {
        Case first = members.get(0);
        boolean w2 = first.workload().equals("W2");
        int rounds = w2 ? profile.load().w2Reps() : profile.rounds();
        System.out.printf(Locale.ROOT, "[%2d/%d] %s %s: %s; %d round(s)%n", step, steps, first.workload(),
                Ratios.caseLabel(first.workload(), first.backend(), first.kase(), first.n(), first.k()),
                String.join(", ", members.stream().map(Case::impl).toList()), rounds);
        long t0 = System.nanoTime();
        List<Result> got = new ArrayList<>();
        List<Case> active = new ArrayList<>(members);
        int failures = 0;
        Map<Case, W2Http.Server> servers = new LinkedHashMap<>();
        try {
            if (w2) failures += startW2(members, step, servers, active);
            for (int r = 1; r <= rounds && !active.isEmpty(); r++) {
                long tr = System.nanoTime();
                System.out.printf(Locale.ROOT, "    round %d:", r);
                System.out.flush();
                List<String> failed = new ArrayList<>();
                for (Case c : Rounds.order(members, r - 1)) {
                    if (!active.contains(c)) continue;
                    List<Result> rs;
                    try {
                        rs = w2 ? W2Http.results(c, servers.get(c).measure(c.n(), profile.load().w2Seconds(), r), source(c))
                                : runOne(c, step, r);
                    } catch (CaseFailure e) {
                        rs = List.of(Result.notMeasured(c, Result.FAILED, e.getMessage()));
                        active.remove(c);
                        failures++;
                        failed.add(c.impl() + ": " + e.getMessage());
                    }
                    for (Result x : rs) {
                        record(x.inRound(r));
                        got.add(x.inRound(r));
                    }
                    Result head = rs.get(0);
                    System.out.print("  " + c.impl() + " " + (head.isOk() ? Report.fmt(head.median()) : "FAILED"));
                    if (w2 && head.isOk()) {
                        rs.stream().filter(x -> x.metric().equals("p99_us")).findFirst()
                                .ifPresent(x -> System.out.print(" (p99 " + Report.fmt(x.median()) + " us)"));
                    }
                    System.out.flush();
                }
                System.out.printf(Locale.ROOT, "  %s  %.0f s%n", got.isEmpty() ? "" : got.get(0).unit(), (System.nanoTime() - tr) / 1e9);
                for (String f : failed) System.out.println("      FAILED " + f);
            }
            if (w2) {
                for (Case c : active) {
                    Long rss = servers.get(c).peakRssKib();
                    if (rss != null) record(W2Http.rss(c, rss, source(c)));
                }
            }
        } finally {
            for (W2Http.Server s : servers.values()) s.close();
        }
        for (Ratios.Ratio x : Ratios.compute(got)) {
            System.out.printf(Locale.ROOT, "    %-26s %s %s [%s .. %s] %s%n", x.impl() + " / " + x.vs(),
                    x.metric().equals("ns_per_round") || x.metric().equals("ns_per_call") ? "" : x.metric(),
                    RatioTable.ratio(x.median()), RatioTable.ratio(x.min()), RatioTable.ratio(x.max()), x.verdict());
        }
        System.out.printf(Locale.ROOT, "    (%.0f s)%n", (System.nanoTime() - t0) / 1e9);
        return failures;
    }

    /**
     * W2: starts every server of the case (each paused until its turn) and warms each up with wrk; a server that
     * does not start or warm up is recorded as failed and removed from {@code active}. Returns the failures.
     */
    private int startW2(List<Case> members, int step, Map<Case, W2Http.Server> servers, List<Case> active) throws IOException {
        Load l = profile.load();
        int failures = 0;
        for (Case c : members) {
            String base = String.format(Locale.ROOT, "%02d-%s", step, slug(c.label()));
            try {
                // Servers on several cores cannot be pinned to one: they and wrk share every core.
                boolean pinned = pin && !W2_LOOPS_CASE.equals(c.kase());
                W2Http.Server s = W2Http.Server.start(c.command(), pinned ? W2Http.SERVER_CPU : null, pinned ? W2Http.LOAD_CPU : null,
                        rawDir, base);
                servers.put(c, s);
                if (l.w2WarmS() > 0) {
                    int took = s.warm(c.n(), l.w2WarmS(), W2_MAX_WARM_S);
                    System.out.println("    " + c.impl() + " warmed up in " + took + " s" + (took >= W2_MAX_WARM_S ? " (the most allowed; its JIT was still compiling)" : ""));
                }
            } catch (CaseFailure e) {
                record(Result.notMeasured(c, Result.FAILED, e.getMessage()));
                active.remove(c);
                failures++;
                System.out.println("    " + c.impl() + " FAILED: " + e.getMessage());
            }
        }
        return failures;
    }

    /** One run of a case outside rounds (W3), printed as one line with its figure and summary. Returns the failures. */
    private int runOnce(Case c, int step, int steps) throws IOException {
        System.out.printf(Locale.ROOT, "[%2d/%d] %-40s ", step, steps, c.label());
        System.out.flush();
        long t0 = System.nanoTime();
        List<Result> rs;
        String[] summary = new String[1];
        try {
            rs = c.workload().equals("W3") ? runW3(c, summary) : runOne(c, step, null);
        } catch (CaseFailure e) {
            rs = List.of(Result.notMeasured(c, Result.FAILED, e.getMessage()));
        }
        for (Result x : rs) record(x);
        Result r = rs.get(0);   // the headline figure
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!r.isOk()) {
            System.out.printf(Locale.ROOT, "FAILED (%.1f s): %s%n", secs, r.reason());
            return 1;
        }
        System.out.printf(Locale.ROOT, "%10s %-8s [%s .. %s]%s  %.1f s%n", Report.fmt(r.median()), r.unit(),
                Report.fmt(r.min()), Report.fmt(r.max()),
                r.allocBytesPerOp() == null ? "" : String.format(Locale.ROOT, " %.2f B/op", r.allocBytesPerOp()), secs);
        if (summary[0] != null) System.out.println("        " + summary[0]);
        return 0;
    }

    /** One JMH fork or one C run of a case; {@code round} (null outside rounds) names its raw files. */
    private List<Result> runOne(Case c, int step, Integer round) throws CaseFailure {
        if (c.isServer()) throw new CaseFailure(c.workload() + " servers run through their own driver");
        return List.of(c.isJmh() ? runJmh(c, step, round) : runC(c, step, round));
    }

    /**
     * The run's duration on an idle machine, from the plan and the profile: per JMH fork its warm-up, measurement
     * and about {@value #JMH_FORK_OVERHEAD_S} s of JVM start and JMH setup; per C run its samples; per W2 server
     * its start, warm-up (a JVM server's about 15 s, until its JIT is quiet) and rounds; per W3 case its ticks.
     */
    double estimateSeconds(List<Case> plan) {
        Load l = profile.load();
        double jmh = JMH_FORK_OVERHEAD_S + (profile.warmupIterations() * profile.warmupMs()
                + profile.iterations() * profile.iterationMs()) / 1000.0;
        double c = (profile.cSamples() + 1) * profile.cSampleMs() / 1000.0 + 0.2;
        double w2 = 2.0 + l.w2WarmS() + l.w2Reps() * (l.w2Seconds() + W2Http.SETTLE_MILLIS / 1000.0 + 0.3);
        double w2JitWarm = Math.max(0, W2_JVM_WARM_S - l.w2WarmS());   // a JVM server warms until its JIT is quiet
        double total = 0;
        for (Case x : plan) {
            if (x.skip() != null) continue;
            if (x.isJmh()) total += profile.rounds() * jmh;
            else if (x.workload().equals("W2")) total += w2 + (x.impl().startsWith("c") ? 0 : w2JitWarm);
            else if (x.workload().equals("W3")) total += 3.0 + (l.w3Warm() + l.w3Ticks() + 2) * W3_INTERVAL_MS / 1000.0 + x.n() * 0.002;
            else total += profile.rounds() * c + 0.3;   // the first round calibrates
        }
        return total;
    }

    /** A JMH fork's cost beyond its iterations: the fork JVM's start, JMH's setup and teardown, the runner's side. */
    static final double JMH_FORK_OVERHEAD_S = 2.0;

    // ---- W2, W3 ----

    /** W3: N clients (W3Tick) on the case's tick server; the headline figure is the p99 deviation from 100 ms. */
    private List<Result> runW3(Case c, String[] summary) throws CaseFailure {
        Load l = profile.load();
        try (ServerProcess server = ServerProcess.start(c.command(), null, null,
                kqueueLib == null ? Map.of() : Map.of(Kqueue.LIBRARY_ENV, kqueueLib), 60)) {
            W3Tick.Stats s = W3Tick.run(server.host(), server.port(), c.n(), l.w3Ticks(), l.w3Warm(), W3_INTERVAL_MS,
                    DISTURBED.equals(c.kase()));
            if (!server.isAlive()) throw new CaseFailure("the server exited during the run");
            List<Result> rs = W3Tick.results(c, s, source(c));
            List<Result> ordered = new ArrayList<>(rs.stream().filter(r -> r.metric().equals("dev_p99_us")).toList());
            rs.stream().filter(r -> !r.metric().equals("dev_p99_us")).forEach(ordered::add);
            summary[0] = W3Tick.summary(s);
            return ordered;
        }
    }

    private static String source(Case c) {
        String program = Path.of(c.command().get(0)).getFileName().toString();
        if (c.impl().equals("c") || c.impl().equals("c-mt")) return "c:" + program;
        int jar = c.command().indexOf("-jar");
        return "pollkit:" + c.command().get(jar + 2);   // the server's name: http, tick, raw-tick
    }

    /** One JMH fork of the case; its figure is the median of that fork's measurement iterations. */
    private Result runJmh(Case c, int index, Integer round) throws CaseFailure {
        Path raw = rawDir.resolve(String.format(Locale.ROOT, "%02d-%s%s.json", index, slug(c.label()), round == null ? "" : "-r" + round));
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(c.benchmark()) + "$")
                .forks(1)
                .warmupIterations(profile.warmupIterations())
                .warmupTime(TimeValue.milliseconds(profile.warmupMs()))
                .measurementIterations(profile.iterations())
                .measurementTime(TimeValue.milliseconds(profile.iterationMs()))
                .timeout(TimeValue.seconds(120))
                .jvmArgs(forkArgs.toArray(String[]::new))   // instead of this JVM's own arguments
                .jvmArgsAppend(c.jvmArgs().toArray(String[]::new))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .result(raw.toString())
                .resultFormat(ResultFormatType.JSON);
        c.params().forEach(b::param);
        jmhLog.println("==== " + c.label() + (round == null ? "" : ", round " + round) + "  (" + c.benchmark() + " " + c.params() + " " + forkArgs + " " + c.jvmArgs() + ")");
        OutputFormat out = OutputFormatFactory.createFormatInstance(jmhLog, VerboseMode.NORMAL);
        Collection<RunResult> results;
        try {
            results = new org.openjdk.jmh.runner.Runner(b.build(), out).run();
        } catch (RunnerException e) {
            throw new CaseFailure(rootMessage(e) + " (see raw/jmh.log)");
        }
        if (results.size() != 1) throw new CaseFailure("JMH returned " + results.size() + " results (see raw/jmh.log)");
        RunResult rr = results.iterator().next();
        Statistics st = rr.getPrimaryResult().getStatistics();   // every measurement iteration of the fork
        Double alloc = allocPerOp(rr);
        String unit = c.workload().equals("W1") ? "ns/round" : "ns/call";
        String metric = c.workload().equals("W1") ? "ns_per_round" : "ns_per_call";
        return Result.ok(c, metric, unit, st.getPercentile(50), st.getMin(), st.getMax(), (int) st.getN(), alloc,
                "jmh:" + c.benchmark().substring(Runner.class.getPackageName().length() + 1));
    }

    /**
     * B/op of the fork: the median of its measurement iterations' {@code gc.alloc.rate.norm}, not JMH's mean. JMH
     * runs {@code @TearDown(Level.Trial)} inside the last iteration, and -prof gc counts what it allocates (closing
     * 9000 socket pairs: 35-90 B/op over a 1 s iteration of W1 at N=9000), as it counts a one-off allocation of the
     * JVM's; an allocation on every operation shows in every iteration from its first and stays in the median.
     * Null without -prof gc's figure.
     */
    static Double allocPerOp(RunResult rr) {
        List<Double> perIteration = new ArrayList<>();
        for (BenchmarkResult br : rr.getBenchmarkResults()) {
            for (IterationResult ir : br.getIterationResults()) {
                ir.getSecondaryResults().forEach((name, r) -> {   // "gc.alloc.rate.norm" ("·gc..." before JMH 1.36)
                    if (name.endsWith("gc.alloc.rate.norm")) perIteration.add(r.getScore());
                });
            }
        }
        return perIteration.isEmpty() ? null : Ratios.median(perIteration.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The benchmark's own exception in what JMH threw (JMH keeps the fork's errors as suppressed exceptions). */
    private static String rootMessage(Throwable t) {
        Throwable own = ownException(t, 0);
        Throwable shown = own != null ? own : t;
        return shown.getClass().getSimpleName() + ": " + shown.getMessage();
    }

    private static Throwable ownException(Throwable t, int depth) {
        if (t == null || depth > 20) return null;
        boolean jmh = t.getClass().getName().startsWith("org.openjdk.jmh.");
        if (!jmh && t.getMessage() != null) {
            Throwable deeper = ownException(t.getCause(), depth + 1);
            return deeper != null ? deeper : t;
        }
        for (Throwable s : t.getSuppressed()) {
            Throwable found = ownException(s, depth + 1);
            if (found != null) return found;
        }
        return ownException(t.getCause(), depth + 1);
    }

    /** One run of the case's C program; the first run of a case calibrates its rounds or iterations per sample. */
    private Result runC(Case c, int index, Integer round) throws CaseFailure {
        boolean w1 = c.workload().equals("W1");
        String what = round == null ? "run" : "r" + round;
        List<String> argv = cArgv.get(c);
        if (argv == null) {
            argv = calibrate(c, index);
            cArgv.put(c, argv);
        }
        Map<?, ?> json = exec(argv, c, index, what);
        Map<?, ?> figure = (Map<?, ?>) json.get(w1 ? "ns_per_round" : "ns_per_call");
        if (figure == null) throw new CaseFailure("no " + (w1 ? "ns_per_round" : "ns_per_call") + " in " + Json.write(json));
        int samples = ((Number) json.get("samples")).intValue();
        return Result.ok(c, w1 ? "ns_per_round" : "ns_per_call", w1 ? "ns/round" : "ns/call",
                ((Number) figure.get("median")).doubleValue(), ((Number) figure.get("min")).doubleValue(),
                ((Number) figure.get("max")).doubleValue(), samples, null,
                "c:" + Path.of(c.command().get(0)).getFileName());
    }

    /** The C program's command with its rounds or iterations per sample, so that a sample lasts about cSampleMs. */
    private List<String> calibrate(Case c, int index) throws CaseFailure {
        boolean w1 = c.workload().equals("W1");
        List<String> argv = new ArrayList<>(c.command());
        if (profile.smoke()) {
            argv.addAll(w1 ? List.of("--rounds=500", "--samples=3", "--warmup=500") : List.of("--iterations=100000", "--samples=3"));
        } else {
            // Calibrate: a short run gives the cost of one round or call, so each sample lasts about cSampleMs.
            List<String> probe = new ArrayList<>(c.command());
            probe.addAll(w1 ? List.of("--rounds=200", "--samples=1", "--warmup=200") : List.of("--iterations=100000", "--samples=1"));
            double est = Math.max(1.0, (Double) ((Map<?, ?>) exec(probe, c, index, "probe").get(w1 ? "ns_per_round" : "ns_per_call")).get("median"));
            long count = Math.round(profile.cSampleMs() * 1e6 / est);
            if (w1) {
                long rounds = Math.clamp(count, 50, 5_000_000);
                argv.addAll(List.of("--rounds=" + rounds, "--samples=" + profile.cSamples(), "--warmup=" + rounds));
            } else {
                argv.addAll(List.of("--iterations=" + Math.clamp(count, 10_000, 1_000_000_000), "--samples=" + profile.cSamples()));
            }
        }
        return List.copyOf(argv);
    }

    /** Runs a C baseline (bounded by C_TIMEOUT_SECONDS), keeps its output under raw/, returns its JSON line. */
    private Map<?, ?> exec(List<String> argv, Case c, int index, String what) throws CaseFailure {
        if (!Files.isExecutable(Path.of(argv.get(0)))) throw new CaseFailure(argv.get(0) + " is missing: run `make native`");
        String base = String.format(Locale.ROOT, "%02d-%s-%s", index, slug(c.label()), what);
        Path out = rawDir.resolve(base + ".out"), err = rawDir.resolve(base + ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (kqueueLib != null) pb.environment().put(Kqueue.LIBRARY_ENV, kqueueLib);
            Process p = pb.start();
            if (!p.waitFor(C_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CaseFailure(String.join(" ", argv) + ": still running after " + C_TIMEOUT_SECONDS + " s; killed");
            }
            String stdout = Files.readString(out).strip();
            if (p.exitValue() != 0) {
                throw new CaseFailure(Path.of(argv.get(0)).getFileName() + " exited " + p.exitValue() + ": " + Files.readString(err).strip());
            }
            Object json = Json.parse(stdout);
            if (!(json instanceof Map<?, ?> m)) throw new CaseFailure("not a JSON object: " + stdout);
            return m;
        } catch (IOException | IllegalArgumentException e) {
            throw new CaseFailure(String.join(" ", argv) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaseFailure("interrupted");
        }
    }

    private void record(Result r) throws IOException {
        Path file = runDir.resolve(r.workload().toLowerCase(Locale.ROOT) + ".jsonl");
        Files.writeString(file, Json.write(r.toJson()) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private void writeMeta(Map<String, Object> meta) throws IOException {
        Files.writeString(runDir.resolve("meta.json"), Json.write(meta) + "\n");
    }

    /** A path as the user typed it from the root: relative when under it. */
    private String show(Path p) {
        return p.startsWith(root) ? root.relativize(p).toString() : p.toString();
    }

    private static String slug(String label) {
        return label.replaceAll("[^A-Za-z0-9=]+", "-").replace("=", "");
    }

    static void copyTree(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            try (Stream<Path> s = Files.walk(to)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
