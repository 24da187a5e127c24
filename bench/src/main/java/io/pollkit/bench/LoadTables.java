package io.pollkit.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * results.md's tables for the load workloads, one row per server and case with all its figures: W2
 * (http-hello: req/s, latency, server CPU, requests per server CPU-second and its ratio to C, peak RSS) and
 * W3 (tick fan-out: deviation from the interval and spread between clients, quiet and disturbed). Each
 * method writes its table and returns the results it did not show, for the generic tables.
 */
final class LoadTables {
    private LoadTables() {}

    /** W2's bar (issue 9): pollkit's requests per server CPU-second at least 0.97 of C's. */
    static final double W2_BAR = 0.97;

    static final Set<String> W2_METRICS = Set.of("req_per_s", "req_per_cpu_s", "cpu_pct", "p50_us", "p99_us", "rss_kib", "errors");
    static final Set<String> W3_METRICS = Set.of("dev_p50_us", "dev_p99_us", "dev_max_us", "spread_p50_us", "spread_p99_us",
            "spread_max_us", "flood_lines_per_s");

    private static final List<String> RUNS = List.of(Runner.QUIET, Runner.DISTURBED);

    /** The results of one server in one case, by metric. */
    private record Row(String impl, String backend, Integer n, String kase, Map<String, Result> byMetric) {
        Result get(String metric) {
            return byMetric.get(metric);
        }

        Double median(String metric) {
            Result r = byMetric.get(metric);
            return r == null ? null : r.median();
        }
    }

    private static List<Row> rows(List<Result> results, Set<String> metrics) {
        Map<List<Object>, Row> rows = new LinkedHashMap<>();
        for (Result r : results) {
            if (!metrics.contains(r.metric())) continue;
            rows.computeIfAbsent(java.util.Arrays.asList(r.impl(), r.backend(), r.n(), r.kase()),
                    k -> new Row(r.impl(), r.backend(), r.n(), r.kase(), new LinkedHashMap<>())).byMetric().put(r.metric(), r);
        }
        List<Row> list = new ArrayList<>(rows.values());
        list.sort(Comparator.comparing((Row r) -> r.n() == null ? 0 : r.n())
                .thenComparing(r -> order(RUNS, r.kase()))
                .thenComparing(r -> backendOrder(r.backend()))
                .thenComparing(r -> implOrder(r.impl())));
        return list;
    }

    static int backendOrder(String b) {
        return order(Runner.W1_BACKENDS, b);
    }

    private static int implOrder(String impl) {
        return order(List.of("c", "pollkit", "pollkit-raw"), impl);
    }

    /** The place of {@code v} in {@code order}; after them when it is not there or null. */
    static int order(List<String> order, String v) {
        int i = v == null ? -1 : order.indexOf(v);
        return i < 0 ? order.size() : i;
    }

    static String backendLabel(String backend, boolean kqueueDouble) {
        if (backend == null) return "";
        return backend.equals("kqueue") && kqueueDouble ? "kqueue (test double)" : backend;
    }

    private static List<Result> others(List<Result> results, Set<String> metrics) {
        return results.stream().filter(r -> !metrics.contains(r.metric())).toList();
    }

    // ---- W2 ----

    static List<Result> w2(StringBuilder md, Map<?, ?> meta, List<Result> results, boolean kqueueDouble, List<Ratios.Ratio> ratios) {
        List<Row> rows = rows(results, W2_METRICS);
        if (rows.isEmpty()) return results;
        boolean pinned = !Boolean.FALSE.equals(meta.get("w2_pinned"));
        boolean errors = rows.stream().anyMatch(r -> r.median("errors") != null && r.median("errors") > 0);
        md.append("## W2 — http-hello\n\n");
        md.append("`wrk -t1 -cN --latency http://127.0.0.1:PORT/` after a warm-up at the same N, ")
                .append(pinned ? "the server pinned to CPU 0 and wrk to CPU 1 (`taskset`)" : "**unpinned** (no taskset)")
                .append(". **req/CPU-s**: requests completed per second of server CPU time (user + system of the whole process, "
                        + "from `/proc/<pid>/stat`, over the measured run); **CPU %**: that time over the run's wall time; "
                        + "**×C**: pollkit's req/CPU-s divided by C's for the same backend and N (with rounds: the median of "
                        + "the rounds' ratios, [min .. max] over the rounds), higher is better, the bar is ≥ ")
                .append(String.format(Locale.ROOT, "%.2f", W2_BAR))
                .append(". Latency: wrk's 50% and 99% lines. **peak RSS**: the server's VmHWM at the end. "
                        + "Medians over the measured runs (rounds); with several runs req/CPU-s shows [min .. max].\n\n");
        List<String> head = new ArrayList<>(List.of("N", "backend", "impl", "req/s", "p50 µs", "p99 µs", "CPU %", "req/CPU-s",
                "×C", "peak RSS MiB"));
        if (errors) head.add("errors");
        header(md, head, Set.of("backend", "impl"));
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(r.n() == null ? "" : r.n().toString());
            cells.add(backendLabel(r.backend(), kqueueDouble));
            cells.add(r.kase() == null ? r.impl() : r.impl() + " " + r.kase());
            cells.add(Report.fmt(r.median("req_per_s")));
            cells.add(Report.fmt(r.median("p50_us")));
            cells.add(Report.fmt(r.median("p99_us")));
            cells.add(Report.fmt(r.median("cpu_pct")));
            Result perCpu = r.get("req_per_cpu_s");
            String cell = "**" + Report.fmt(r.median("req_per_cpu_s")) + "**";
            if (perCpu != null && perCpu.min() != null && perCpu.max() != null && perCpu.min() < perCpu.max()) {
                cell += " [" + Report.fmt(perCpu.min()) + " .. " + Report.fmt(perCpu.max()) + "]";
            }
            cells.add(cell);
            cells.add(ratioToC(r, rows, ratios));
            Double rss = r.median("rss_kib");
            cells.add(rss == null ? "—" : Report.fmt(rss / 1024));
            if (errors) cells.add(Report.fmt(r.median("errors")));
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        md.append('\n');
        if (rows.stream().anyMatch(r -> Runner.W2_LOOPS_CASE.equals(r.kase()))) {
            md.append("Rows `" + Runner.W2_LOOPS_CASE + "`: the server on " + Runner.W2_LOOPS + " cores, C's http-hello as "
                    + Runner.W2_LOOPS + " worker processes (`--workers=" + Runner.W2_LOOPS + "`, each with its own SO_REUSEPORT "
                    + "listener), pollkit's http as " + Runner.W2_LOOPS + " event loops (`--loops=" + Runner.W2_LOOPS + "`). "
                    + "**Unpinned, and wrk shares those " + Runner.W2_LOOPS + " cores** (the machine has ")
                    .append(meta.get("machine") instanceof Map<?, ?> m && m.get("cores") instanceof Number n ? n.intValue() : "?")
                    .append("): req/s is bounded by wrk as much as by the server, so compare req/CPU-s, and these rows with "
                            + "each other, not with the pinned ones. Their CPU % is the whole server's, over both cores.\n\n");
        }
        if (errors) {
            md.append("errors: wrk's socket errors (connect, read, write, timeout) and non-2xx responses; see raw/*.out.\n\n");
        }
        return others(results, W2_METRICS);
    }

    private static String ratioToC(Row r, List<Row> rows, List<Ratios.Ratio> ratios) {
        if (r.impl().equals("c")) return "";
        Result perCpu = r.get("req_per_cpu_s");
        Ratios.Ratio byRounds = perCpu == null ? null : Ratios.find(ratios, perCpu, "c");
        if (byRounds != null) {
            double m = byRounds.median();
            return String.format(Locale.ROOT, "%.2f [%.2f .. %.2f] %s", m, byRounds.min(), byRounds.max(),
                    m >= W2_BAR ? "✓" : "✗ (bar " + W2_BAR + ")");
        }
        Row c = rows.stream().filter(x -> x.impl().equals("c") && Objects.equals(x.backend(), r.backend())
                && Objects.equals(x.n(), r.n()) && Objects.equals(x.kase(), r.kase())).findFirst().orElse(null);
        Double mine = r.median("req_per_cpu_s"), theirs = c == null ? null : c.median("req_per_cpu_s");
        if (mine == null || theirs == null || theirs == 0) return "—";
        double ratio = mine / theirs;
        return String.format(Locale.ROOT, "%.2f %s", ratio, ratio >= W2_BAR ? "✓" : "✗ (bar " + W2_BAR + ")");
    }

    // ---- W3 ----

    static List<Result> w3(StringBuilder md, Map<?, ?> meta, List<Result> results, boolean kqueueDouble) {
        List<Row> rows = rows(results, W3_METRICS);
        if (rows.isEmpty()) return results;
        Object interval = meta.get("w3_interval_ms") instanceof Number x ? x.intValue() : 100;
        boolean flood = rows.stream().anyMatch(r -> r.get("flood_lines_per_s") != null);
        md.append("## W3 — tick fan-out\n\n");
        md.append("The tick server at `--interval=").append(interval).append("` with N clients on loopback, read by one "
                        + "java.nio Selector thread that timestamps every `tick` line (`System.nanoTime()`). **deviation**: "
                        + "|interval between a client's successive ticks − ").append(interval).append(" ms|, over every client "
                        + "and measured tick; **spread**: last minus first client to receive the same tick, per tick. "
                        + "Percentiles are nearest-rank; figures in ms. **disturbed**: the same with one more client writing "
                        + "32-byte lines as fast as it can and one that never reads (SO_RCVBUF 1024); **p99 vs quiet**: the "
                        + "disturbed p99 deviation over the quiet one (the other clients should barely notice). Not pinned; one "
                        + "reading thread, so at large N part of every spread is its own pass over the N sockets. "
                        + "The C tick-server runs with `--quiet`; pollkit's servers log every client line, to /dev/null.\n\n");
        List<String> head = new ArrayList<>(List.of("N", "run", "backend", "impl", "deviation p50", "p99", "max", "spread p50",
                "p99", "max", "p99 vs quiet"));
        if (flood) head.add("flood lines/s");
        header(md, head, Set.of("run", "backend", "impl"));
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(r.n() == null ? "" : r.n().toString());
            cells.add(r.kase() == null ? "" : r.kase());
            cells.add(backendLabel(r.backend(), kqueueDouble));
            cells.add(r.impl());
            cells.add(ms(r.median("dev_p50_us")));
            cells.add("**" + ms(r.median("dev_p99_us")) + "**");
            cells.add(ms(r.median("dev_max_us")));
            cells.add(ms(r.median("spread_p50_us")));
            cells.add("**" + ms(r.median("spread_p99_us")) + "**");
            cells.add(ms(r.median("spread_max_us")));
            String vsQuiet = "";
            if (Runner.DISTURBED.equals(r.kase())) {
                Row quiet = rows.stream().filter(x -> Runner.QUIET.equals(x.kase()) && x.impl().equals(r.impl())
                        && Objects.equals(x.backend(), r.backend()) && Objects.equals(x.n(), r.n())).findFirst().orElse(null);
                Double d = r.median("dev_p99_us"), q = quiet == null ? null : quiet.median("dev_p99_us");
                vsQuiet = d == null || q == null || q == 0 ? "—" : String.format(Locale.ROOT, "×%.2f", d / q);
            }
            cells.add(vsQuiet);
            if (flood) cells.add(Report.fmt(r.median("flood_lines_per_s")));
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        md.append('\n');
        int samples = rows.stream().map(r -> r.get("dev_p99_us")).filter(Objects::nonNull)
                .mapToInt(x -> x.samples() == null ? 0 : x.samples()).min().orElse(0);
        if (samples > 0) {
            md.append("Each deviation figure is over at least ").append(samples).append(" intervals (N clients × (measured ticks − 1)).\n\n");
        }
        return others(results, W3_METRICS);
    }

    private static String ms(Double us) {
        return us == null ? "—" : Report.fmt(us / 1000);
    }

    private static void header(StringBuilder md, List<String> head, Set<String> leftAligned) {
        md.append("| ").append(String.join(" | ", head)).append(" |\n|");
        for (String h : head) md.append(leftAligned.contains(h) ? "---|" : "---:|");
        md.append('\n');
    }

    /** The label of a server in the charts. */
    static String server(Result r, boolean kqueueDouble) {
        return r.impl() + " " + backendLabel(r.backend(), kqueueDouble)
                + (r.workload().equals("W2") && r.kase() != null ? " " + r.kase() : "");
    }
}
