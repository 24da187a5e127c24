package io.pollkit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * W2, http-hello, for the servers of one case (a backend and a connection count): each server started once,
 * pinned to CPU 0, loaded by wrk pinned to CPU 1 (when taskset is there); a warm-up of
 * {@code wrk -t1 -cC -d<warm>s}, then one measured {@code wrk -t1 -cC -d<dur>s --latency} per round, the servers
 * taking turns in the rounds' order ({@link Rounds}). A server is paused (SIGSTOP) whenever another one is
 * loaded, so the pinned CPU is the measured server's alone. Around each measured run the server's user+system
 * CPU ticks are read from /proc/<pid>/stat; its peak RSS (VmHWM) is read at the end. Both processes get the
 * hard RLIMIT_NOFILE (c=500 needs more than 1024 fds).
 */
final class W2Http {
    private W2Http() {}

    static final int SERVER_CPU = 0, LOAD_CPU = 1;

    /** One measured wrk run. */
    record Sample(double reqPerS, long requests, double p50Us, double p99Us, double cpuSeconds, double wallSeconds,
                  long socketErrors, long non2xx) {
        double cpuPct() {
            return 100.0 * cpuSeconds / wallSeconds;
        }

        double reqPerCpuS() {
            return cpuSeconds > 0 ? requests / cpuSeconds : Double.NaN;
        }
    }

    /** What wrk printed. */
    record Wrk(double reqPerS, long requests, double p50Us, double p99Us, long socketErrors, long non2xx) {}

    /**
     * A W2 server, started once per case and measured once per round. It is paused between its runs; wrk's output
     * and the server's stderr go under {@code raw} with the prefix {@code base}.
     */
    static final class Server implements AutoCloseable {
        private final ServerProcess process;
        private final Integer loadCpu;
        private final Path raw;
        private final String base, url;

        private Server(ServerProcess process, Integer loadCpu, Path raw, String base) {
            this.process = process;
            this.loadCpu = loadCpu;
            this.raw = raw;
            this.base = base;
            this.url = "http://127.0.0.1:" + process.port() + "/";
        }

        /** Starts the server on {@code serverCpu} (null: unpinned), wrk to run on {@code loadCpu}; paused when it returns. */
        static Server start(List<String> argv, Integer serverCpu, Integer loadCpu, Path raw, String base) throws Runner.CaseFailure {
            ServerProcess p = ServerProcess.start(argv, serverCpu, raw.resolve(base + "-server.err"), java.util.Map.of(), 60);
            try {
                p.pause();
            } catch (Runner.CaseFailure e) {
                p.close();
                throw e;
            }
            return new Server(p, loadCpu, raw, base);
        }

        /**
         * Unmeasured wrk runs of {@code seconds} at the case's connection count until the JIT is done: until the
         * server's compiler threads used at most {@link #JIT_QUIET} of its CPU during the last run (a C server: after
         * the first), {@code maxSeconds} in all at most. A JVM server under this load goes on compiling for tens of
         * seconds (45 s for pollkit's http on this machine), on the one core it is pinned to, and its p99 latency
         * with it: a fixed few seconds of warm-up measured the JIT, not the server. Returns the seconds it took.
         */
        int warm(int connections, int seconds, int maxSeconds) throws Runner.CaseFailure {
            int took = 0;
            process.resume();
            try {
                for (int run = 0; took < maxSeconds; run++) {
                    long cpu0 = process.cpuTicks(), jit0 = process.compilerTicks();
                    Wrk warm = wrk(loadCpu, connections, seconds, false, url, raw.resolve(base + "-warmup" + run + ".out"));
                    took += seconds;
                    if (warm.non2xx() > 0) throw new Runner.CaseFailure("warm-up: " + warm.non2xx() + " responses were not 2xx");
                    long cpu = process.cpuTicks() - cpu0, jit = process.compilerTicks() - jit0;
                    if (jit <= JIT_QUIET * cpu) break;
                }
            } finally {
                process.pause();
            }
            return took;
        }

        /** The share of a server's CPU its JIT compiler threads may still use when the warm-up ends. */
        static final double JIT_QUIET = 0.01;

        /** Round {@code round}'s measured run, after a pause of {@link #SETTLE_MILLIS}. */
        Sample measure(int connections, int seconds, int round) throws Runner.CaseFailure {
            process.resume();
            settle();
            if (!process.isAlive()) throw new Runner.CaseFailure("the server exited during the run");
            long t0 = System.nanoTime(), c0 = process.cpuTicks();
            Wrk w = wrk(loadCpu, connections, seconds, true, url, raw.resolve(base + "-r" + round + ".out"));
            long c1 = process.cpuTicks(), t1 = System.nanoTime();
            process.pause();
            if (w.non2xx() > 0) throw new Runner.CaseFailure(w.non2xx() + " responses were not 2xx");
            if (w.requests() == 0) throw new Runner.CaseFailure("wrk completed no request");
            return new Sample(w.reqPerS(), w.requests(), w.p50Us(), w.p99Us(),
                    (double) (c1 - c0) / ServerProcess.CLK_TCK, (t1 - t0) / 1e9, w.socketErrors(), w.non2xx());
        }

        Long peakRssKib() {
            return process.peakRssKib();
        }

        @Override
        public void close() {
            process.close();
        }
    }

    /**
     * The pause before each measured run: the previous wrk's connections are still being closed when it exits,
     * and a run started at once would time its new connections' first requests behind those closes.
     */
    static final long SETTLE_MILLIS = 1000;

    private static void settle() throws Runner.CaseFailure {
        try {
            Thread.sleep(SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Runner.CaseFailure("interrupted");
        }
    }

    private static Wrk wrk(Integer cpu, int connections, int seconds, boolean latency, String url, Path out)
            throws Runner.CaseFailure {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n \"$(ulimit -Hn)\" && exec \"$@\"", "bash"));
        if (cpu != null) cmd.addAll(List.of("taskset", "-c", cpu.toString()));
        cmd.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s"));
        if (latency) cmd.add("--latency");
        cmd.add(url);
        String shown = String.join(" ", cmd.subList(4, cmd.size()));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Runner.CaseFailure(shown + ": still running after " + (seconds + 60) + " s; killed");
            }
            String text = Files.readString(out);
            if (p.exitValue() != 0) throw new Runner.CaseFailure(shown + " exited " + p.exitValue() + ": " + text.strip());
            return parse(text);
        } catch (IOException | IllegalArgumentException e) {
            throw new Runner.CaseFailure(shown + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Runner.CaseFailure("interrupted");
        }
    }

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|99)(?:\\.0+)?%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    /** wrk's report: requests, req/s, and with --latency the 50% and 99% lines; IllegalArgumentException if absent. */
    static Wrk parse(String text) {
        Matcher m = RATE.matcher(text);
        if (!m.find()) throw new IllegalArgumentException("no Requests/sec in wrk's output: " + text.strip());
        double rate = Double.parseDouble(m.group(1));
        m = REQUESTS.matcher(text);
        long requests = m.find() ? Long.parseLong(m.group(1)) : 0;
        double p50 = Double.NaN, p99 = Double.NaN;
        m = PERCENTILE.matcher(text);
        while (m.find()) {
            double us = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
                case "us" -> 1.0;
                case "ms" -> 1e3;
                case "s" -> 1e6;
                default -> 60e6;
            };
            if (m.group(1).equals("50")) p50 = us;
            else p99 = us;
        }
        long errors = 0;
        m = SOCKET_ERRORS.matcher(text);
        if (m.find()) {
            for (int g = 1; g <= 4; g++) errors += Long.parseLong(m.group(g));
        }
        m = NON_2XX.matcher(text);
        long non2xx = m.find() ? Long.parseLong(m.group(1)) : 0;
        return new Wrk(rate, requests, p50, p99, errors, non2xx);
    }

    /** The figures of one round's run in the common shape (one sample each). */
    static List<Result> results(Case c, Sample s, String source) {
        List<Result> r = new ArrayList<>();
        r.add(figure(c, "req_per_cpu_s", "req/CPU-s", "higher", new double[] {s.reqPerCpuS()}, source));
        r.add(figure(c, "req_per_s", "req/s", "higher", new double[] {s.reqPerS()}, source));
        r.add(figure(c, "cpu_pct", "%", "lower", new double[] {s.cpuPct()}, source));
        r.add(figure(c, "p50_us", "us", "lower", new double[] {s.p50Us()}, source));
        r.add(figure(c, "p99_us", "us", "lower", new double[] {s.p99Us()}, source));
        r.add(figure(c, "errors", "count", "lower", new double[] {s.socketErrors() + s.non2xx()}, source));
        return r;
    }

    /** The server's peak RSS over all its rounds, in the common shape. */
    static Result rss(Case c, long kib, String source) {
        return figure(c, "rss_kib", "KiB", "lower", new double[] {kib}, source);
    }

    static Result figure(Case c, String metric, String unit, String better, double[] values, String source) {
        double[] v = java.util.Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), metric, unit, null, null, null,
                    0, null, better, source, Result.OK, null);
        }
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), metric, unit, median, v[0],
                v[v.length - 1], v.length, null, better, source, Result.OK, null);
    }

    /** The progress line's summary: every figure's median. */
    static String summary(List<Result> rs) {
        StringBuilder b = new StringBuilder();
        for (Result r : rs) {
            if (r.median() == null) continue;
            if (!b.isEmpty()) b.append(", ");
            b.append(r.metric()).append(' ').append(Report.fmt(r.median()));
        }
        return b.toString();
    }
}
