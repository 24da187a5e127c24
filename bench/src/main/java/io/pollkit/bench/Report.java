package io.pollkit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns a run directory into its report: reads {@code meta.json} and every {@code *.jsonl} in it (one
 * {@link Result} per line, whichever workload wrote it) and writes {@code results.json} (the meta and every
 * result), {@code results.md} (a table per workload and metric, each figure with its ratio to C of the same
 * backend, N, K and case) and {@code charts/*.svg}. Run it alone to redo a report after adding results:
 * {@code bench/run report DIR}.
 */
public final class Report {
    private Report() {}

    static final String SCHEMA = "pollkit-bench/1";

    private static final Map<String, String> TITLES = Map.of(
            "W1", "W1 — dispatch", "W2", "W2 — http-hello", "W3", "W3 — tick fan-out", "W4", "W4 — downcall cost");

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Report RUN_DIR   (writes RUN_DIR/results.json, results.md and charts/)");
            System.exit(2);
        }
        generate(Path.of(args[0]));
        System.out.println("wrote " + Path.of(args[0]).resolve("results.md"));
    }

    static void generate(Path dir) throws IOException {
        Map<?, ?> meta = Files.exists(dir.resolve("meta.json"))
                ? (Map<?, ?>) Json.parse(Files.readString(dir.resolve("meta.json"))) : Map.of();
        List<Result> results = read(dir);
        List<Ratios.Ratio> ratios = Ratios.compute(results);

        Map<String, Object> all = new LinkedHashMap<>();
        all.put("schema", SCHEMA);
        all.put("meta", meta);
        all.put("results", results.stream().map(Result::toJson).toList());
        all.put("ratios", ratios.stream().map(Ratios.Ratio::toJson).toList());
        Files.writeString(dir.resolve("results.json"), Json.write(all) + "\n");

        // The figure tables and charts show one figure per impl; the rounds it came from are in the ratios.
        List<Result> figures = Rounds.combine(results);
        boolean kqueueDouble = Boolean.TRUE.equals(meta.get("kqueue_is_test_double"));
        List<Charts.Chart> charts = new ArrayList<>(Charts.write(dir.resolve("charts"), figures, kqueueDouble));
        charts.addAll(Charts.ratios(dir.resolve("charts"), ratios));
        Files.writeString(dir.resolve("results.md"), markdown(meta, figures, results, charts, ratios));
    }

    /** Every result of every {@code *.jsonl} in {@code dir}, in file-name order. */
    static List<Result> read(Path dir) throws IOException {
        List<Result> results = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
        for (Path f : files) {
            int line = 0;
            for (String text : Files.readAllLines(f)) {
                line++;
                if (text.isBlank()) continue;
                try {
                    results.add(Result.fromJson((Map<?, ?>) Json.parse(text)));
                } catch (RuntimeException e) {
                    throw new IOException(f + ":" + line + ": not a result line: " + e.getMessage(), e);
                }
            }
        }
        return results;
    }

    // ---- results.md ----

    /** {@code results}: one figure per case and impl; {@code rounds}: every figure as measured, round by round. */
    static String markdown(Map<?, ?> meta, List<Result> results, List<Result> rounds, List<Charts.Chart> charts,
                           List<Ratios.Ratio> ratios) {
        StringBuilder md = new StringBuilder();
        md.append("# pollkit benchmarks");
        if (meta.get("profile") != null) md.append(": ").append(meta.get("profile")).append(" run");
        if (meta.get("started") != null) md.append(" of ").append(meta.get("started").toString().replace('T', ' ').replaceAll("\\.\\d+$", ""));
        md.append("\n\n");
        if (meta.get("settings") != null) md.append(meta.get("settings")).append(".\n");
        md.append("The workloads W1 to W4 are defined in the project's `docs/WORKLOADS.md`. "
                + "W1, W2 and W4 ran in interleaved rounds: in each round every implementation of a case ran once, in an\n"
                + "order that changes from round to round, and each round gives its own ratio to C; **Ratios** below gives\n"
                + "their median and spread, and says where the spread is too wide to show a difference. In the figure\n"
                + "tables each figure is the median of the rounds' medians (W3: of its one run) with the [min .. max] of\n"
                + "every sample, and **×C** is the median of the per-round ratios to the C baseline (`native/baselines`) of\n"
                + "the same workload, backend, N, K and call (1.00: as fast as C; 2.00: twice C's time). **B/op** is what\n"
                + "the benchmark allocated per operation (JMH `-prof gc`, `gc.alloc.rate.norm`, the median over a fork's\n"
                + "measurement iterations: the last one also counts the benchmark's tear-down); C allocates nothing. An\n"
                + "allocation on every operation costs at least 16 B/op (the smallest object), so a figure below that is\n"
                + "JMH's own per-iteration bookkeeping or a rare allocation spread over the operations. The machine is shared\n"
                + "and noisy: read ratios measured side by side, not single times.\n\n");

        md.append("## Machine\n\n| | |\n|---|---|\n");
        if (meta.get("machine") instanceof Map<?, ?> m) {
            row(md, "CPU", m.get("cpu"));
            row(md, "cores", m.get("cores"));
            row(md, "kernel", m.get("kernel"));
            row(md, "JDK", m.get("jdk"));
            row(md, "C compiler", m.get("cc"));
            if (m.get("commit") != null) {
                row(md, "commit", m.get("commit") + (Boolean.TRUE.equals(m.get("worktree_clean")) ? "" : " (with uncommitted changes)"));
            }
        }
        if (meta.get("load_start") != null) row(md, "load average (1/5/15 min)", "start " + meta.get("load_start")
                + (meta.get("load_end") != null ? ", end " + meta.get("load_end") : ""));
        if (meta.get("duration_s") instanceof Number secs) {
            row(md, "duration", Math.round(secs.doubleValue()) + " s" + (meta.get("estimated_s") instanceof Number e
                    ? " (estimated " + Math.round(e.doubleValue()) + " s on an idle machine)" : ""));
        }
        if (meta.get("command") != null) row(md, "command", "`" + meta.get("command") + "`");
        md.append('\n');

        List<String> notes = new ArrayList<>();
        if (meta.get("kqueue_lib") != null) {
            notes.add(Boolean.TRUE.equals(meta.get("kqueue_is_test_double"))
                    ? "**kqueue figures are epoll + pollkit's C test double** (`native/kqueue-double`, loaded from `"
                      + meta.get("kqueue_lib") + "`), **not real kqueue**: Linux has none."
                    : "kqueue figures go through `" + meta.get("kqueue_lib") + "` on Linux, an emulation, not a BSD kernel's kqueue.");
        }
        notes.add("impl: `c` the C baseline; `c-mt` the same C program with one idle thread, so that it is a "
                + "multi-threaded process like every JVM: Linux's fdget() then takes a file reference (an atomic) for every "
                + "fd select and poll look at on every call; compare the Java figures of select and poll "
                + "with `c-mt`; `ffm` pollkit's io.pollkit.sys over FFM; `ffm-critical` a downcall linked with "
                + "`Linker.Option.critical(false)` and no errno capture; `ffm-unchecked` (W4 poll) the generated downcall "
                + "without the public call's bounds checks, so `ffm` minus `ffm-unchecked` is what the checks cost; `jni` the same benchmark with "
                + "`-Dpollkit.transport=jni`; `pollkit-poller` through io.pollkit.poller's backends; `nio` java.nio's Selector "
                + "(its poll selector keeps its pollfd array between selects rather than rebuilding it); W2/W3: `pollkit` the "
                + "servers of `target/pollkit.jar` (`http`, `tick`: io.pollkit.loop's event loop), `pollkit-raw` its `raw-tick` "
                + "(straight on one syscall API), `c` `native/baselines`' `http-hello` and `tick-server`; W2's `io_uring` rows are "
                + "io_uring's completion model: pollkit's `http --model=completion` and C's `http-hello-uring` (liburing); `"
                + Runner.W2_URING_READINESS + "` (in W2's epoll rows) pollkit's `http --backend=io_uring`, readiness "
                + "through IORING_OP_POLL_ADD, run in epoll's rounds so that it is compared with C and pollkit on epoll.");
        if (Boolean.FALSE.equals(meta.get("w2_pinned"))) {
            notes.add("**W2 ran unpinned**: taskset (util-linux) was missing, so the server and wrk shared both CPUs.");
        }
        for (String n : notes) md.append("- ").append(n).append('\n');
        md.append('\n');

        TargetSummary.markdown(md, meta, results, rounds, ratios);
        RatioTable.markdown(md, meta, ratios, charts);

        Map<String, List<Result>> byWorkload = results.stream().filter(Result::isOk)
                .collect(Collectors.groupingBy(Result::workload, java.util.TreeMap::new, Collectors.toList()));
        boolean kqueueDouble = Boolean.TRUE.equals(meta.get("kqueue_is_test_double"));
        for (Map.Entry<String, List<Result>> w : byWorkload.entrySet()) {
            List<Result> rest = w.getValue();
            if (w.getKey().equals("W2")) rest = LoadTables.w2(md, meta, rest, kqueueDouble, ratios);
            if (w.getKey().equals("W3")) rest = LoadTables.w3(md, meta, rest, kqueueDouble);
            Map<String, List<Result>> byMetric = rest.stream()
                    .collect(Collectors.groupingBy(r -> r.metric() + "\u0000" + r.unit(), LinkedHashMap::new, Collectors.toList()));
            for (List<Result> rows : byMetric.values()) {
                Result first = rows.get(0);
                md.append("## ").append(TITLES.getOrDefault(w.getKey(), w.getKey())).append(": ").append(first.unit()).append("\n\n");
                table(md, rows, results, ratios);
                md.append('\n');
            }
            for (Charts.Chart c : charts) {
                if (c.file().startsWith(w.getKey().toLowerCase(Locale.ROOT) + "-") || c.file().equals(w.getKey().toLowerCase(Locale.ROOT) + ".svg")) {
                    md.append("![").append(c.caption()).append("](charts/").append(c.file()).append(")\n");
                }
            }
            md.append('\n');
        }

        List<Result> missing = results.stream().filter(r -> !r.isOk()).toList();
        if (!missing.isEmpty()) {
            md.append("## Not measured\n\n");
            Map<String, List<Result>> byReason = missing.stream().collect(Collectors.groupingBy(
                    r -> r.status() + ": " + r.reason(), LinkedHashMap::new, Collectors.toList()));
            for (Map.Entry<String, List<Result>> e : byReason.entrySet()) {
                md.append("- ").append(e.getKey()).append(" — ").append(e.getValue().size()).append(" case(s): ")
                        .append(e.getValue().stream().map(Result::label).collect(Collectors.joining(", "))).append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static void row(StringBuilder md, String name, Object value) {
        if (value == null) return;
        String text = value instanceof Double d && d == Math.rint(d) ? Long.toString(d.longValue()) : value.toString();
        md.append("| ").append(name).append(" | ").append(text.replace("|", "\\|")).append(" |\n");
    }

    private static final List<String> BACKENDS = Runner.W1_BACKENDS;

    /** One table; the backend, N, K and case columns appear when any row has them. */
    private static void table(StringBuilder md, List<Result> rows, List<Result> all, List<Ratios.Ratio> ratios) {
        boolean hasCase = rows.stream().anyMatch(r -> r.kase() != null);
        boolean hasBackend = rows.stream().anyMatch(r -> r.backend() != null);
        boolean hasN = rows.stream().anyMatch(r -> r.n() != null);
        boolean hasK = rows.stream().anyMatch(r -> r.k() != null);
        boolean hasAlloc = rows.stream().anyMatch(r -> r.allocBytesPerOp() != null);
        List<Result> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing((Result r) -> String.valueOf(r.kase()))
                .thenComparing(r -> r.backend() == null ? -1 : BACKENDS.indexOf(r.backend()) < 0 ? 99 : BACKENDS.indexOf(r.backend()))
                .thenComparing(r -> r.n() == null ? 0 : r.n())
                .thenComparing(r -> r.k() == null ? 0 : r.k())
                .thenComparing(r -> Charts.implOrder(r.impl())));

        List<String> head = new ArrayList<>();
        if (hasCase) head.add("call");
        if (hasBackend) head.add("backend");
        if (hasN) head.add("N");
        if (hasK) head.add("K");
        head.addAll(List.of("impl", "median", "min .. max", "×C"));
        if (hasAlloc) head.add("B/op");
        md.append("| ").append(String.join(" | ", head)).append(" |\n|");
        for (String h : head) md.append(h.equals("impl") || h.equals("call") || h.equals("backend") ? "---|" : "---:|");
        md.append('\n');

        for (Result r : sorted) {
            List<String> cells = new ArrayList<>();
            if (hasCase) cells.add(r.kase() == null ? "" : r.kase());
            if (hasBackend) cells.add(r.backend() == null ? "" : r.backend());
            if (hasN) cells.add(r.n() == null ? "" : r.n().toString());
            if (hasK) cells.add(r.k() == null ? "" : r.k().toString());
            cells.add(r.impl());
            cells.add("**" + fmt(r.median()) + "**");
            cells.add(fmt(r.min()) + " .. " + fmt(r.max()));
            Result c = cOf(all, r);
            Ratios.Ratio byRounds = r.impl().equals("c") ? null : Ratios.find(ratios, r, "c");
            if (byRounds != null) {   // the median of the rounds' ratios, not the ratio of the medians
                cells.add(String.format(Locale.ROOT, "%.2f", byRounds.median()));
            } else {
                cells.add(c == null || c.median() == null || c.median() == 0 ? "—" : String.format(Locale.ROOT, "%.2f", r.median() / c.median()));
            }
            if (hasAlloc) cells.add(r.allocBytesPerOp() == null ? "—" : String.format(Locale.ROOT, "%.2f", r.allocBytesPerOp()));
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
    }

    /** C's figure of {@code r}'s workload, metric, backend, case, N and K in {@code all}, or null. */
    static Result cOf(List<Result> all, Result r) {
        return all.stream().filter(c -> c.isOk() && c.impl().equals("c")
                && c.workload().equals(r.workload()) && Objects.equals(c.metric(), r.metric())
                && Objects.equals(c.backend(), r.backend()) && Objects.equals(c.kase(), r.kase())
                && Objects.equals(c.n(), r.n()) && Objects.equals(c.k(), r.k())).findFirst().orElse(null);
    }

    /** A figure with as many digits as are worth reading: 0.93, 12.4, 1234, 123457. */
    static String fmt(Double v) {
        if (v == null || v.isNaN()) return "—";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a < 10) return String.format(Locale.ROOT, "%.2f", v);
        if (a < 1000) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.0f", v);
    }
}
