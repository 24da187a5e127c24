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
 * W2, http-hello, for one server and one connection count: the server pinned to CPU 0, wrk pinned to CPU 1
 * (when taskset is there), a warm-up of {@code wrk -t1 -cC -d<warm>s}, then {@code reps} runs of
 * {@code wrk -t1 -cC -d<dur>s --latency}, each after a pause of {@value #SETTLE_MILLIS} ms. Around each
 * measured run the server's user+system CPU ticks are read from /proc/<pid>/stat; its peak RSS (VmHWM) is
 * read at the end. Both processes get the hard RLIMIT_NOFILE (c=500 needs more than 1024 fds).
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
     * Runs the case; wrk's output and the server's stderr go under {@code raw} with the prefix {@code base}.
     * Returns the samples and the server's peak RSS in KiB (or null).
     */
    static Outcome run(List<String> serverArgv, boolean pin, int connections, int warmSeconds, int seconds, int reps,
                       Path raw, String base) throws Runner.CaseFailure {
        List<Sample> samples = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(serverArgv, pin ? SERVER_CPU : null,
                raw.resolve(base + "-server.err"), java.util.Map.of(), 60)) {
            String url = "http://127.0.0.1:" + server.port() + "/";
            if (warmSeconds > 0) {
                Wrk warm = wrk(pin, connections, warmSeconds, false, url, raw.resolve(base + "-warmup.out"));
                if (warm.non2xx() > 0) throw new Runner.CaseFailure("warm-up: " + warm.non2xx() + " responses were not 2xx");
            }
            for (int i = 0; i < reps; i++) {
                settle();
                if (!server.isAlive()) throw new Runner.CaseFailure("the server exited during the run");
                long t0 = System.nanoTime(), c0 = server.cpuTicks();
                Wrk w = wrk(pin, connections, seconds, true, url, raw.resolve(base + "-run" + (i + 1) + ".out"));
                long c1 = server.cpuTicks(), t1 = System.nanoTime();
                if (w.non2xx() > 0) throw new Runner.CaseFailure(w.non2xx() + " responses were not 2xx");
                if (w.requests() == 0) throw new Runner.CaseFailure("wrk completed no request");
                samples.add(new Sample(w.reqPerS(), w.requests(), w.p50Us(), w.p99Us(),
                        (double) (c1 - c0) / ServerProcess.CLK_TCK, (t1 - t0) / 1e9, w.socketErrors(), w.non2xx()));
            }
            return new Outcome(samples, server.peakRssKib());
        }
    }

    record Outcome(List<Sample> samples, Long peakRssKib) {}

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

    private static Wrk wrk(boolean pin, int connections, int seconds, boolean latency, String url, Path out)
            throws Runner.CaseFailure {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n \"$(ulimit -Hn)\" && exec \"$@\"", "bash"));
        if (pin) cmd.addAll(List.of("taskset", "-c", Integer.toString(LOAD_CPU)));
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

    /** The figures of a case in the common shape, medians over the reps. */
    static List<Result> results(Case c, Outcome o, String source) {
        List<Result> r = new ArrayList<>();
        List<Sample> s = o.samples();
        r.add(figure(c, "req_per_s", "req/s", "higher", s.stream().mapToDouble(Sample::reqPerS).toArray(), source));
        r.add(figure(c, "req_per_cpu_s", "req/CPU-s", "higher", s.stream().mapToDouble(Sample::reqPerCpuS).toArray(), source));
        r.add(figure(c, "cpu_pct", "%", "lower", s.stream().mapToDouble(Sample::cpuPct).toArray(), source));
        r.add(figure(c, "p50_us", "us", "lower", s.stream().mapToDouble(Sample::p50Us).toArray(), source));
        r.add(figure(c, "p99_us", "us", "lower", s.stream().mapToDouble(Sample::p99Us).toArray(), source));
        if (o.peakRssKib() != null) {
            r.add(figure(c, "rss_kib", "KiB", "lower", new double[] {o.peakRssKib()}, source));
        }
        r.add(figure(c, "errors", "count", "lower", s.stream().mapToDouble(x -> x.socketErrors() + x.non2xx()).toArray(), source));
        return r;
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
