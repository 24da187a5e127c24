package io.pollkit.bench;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * results.md's "Targets at a glance": for each of issue 9's bars, how many of the run's cases met it by the median
 * of their per-round ratios, how many missed it, and of those how many the rounds agree on (the others are within
 * the run's noise); then W3's bar, which has no rounds (one run per case), and the allocation bar over every pollkit
 * benchmark. The ratio table below it has every figure; this is where a reader starts.
 */
final class TargetSummary {
    private TargetSummary() {}

    /** W3's bar: pollkit's tick server within this many times C's p99 deviation and spread, at N=1000 on epoll. */
    static final double W3_BOUND = 1.5;
    static final int W3_N = 1000;
    static final String W3_BACKEND = "epoll";
    /** One allocation per operation is at least the smallest object: below that, JMH's bookkeeping (see Report). */
    static final double ALLOC_BOUND = 16;
    /** meta.json's keys: how long a JMH fork warms up, and C2's Tier4InvocationThreshold in the forks' JVM. */
    static final String WARMUP_MS = "jmh_warmup_ms", C2_THRESHOLD = "c2_invocation_threshold";

    /** C2's Tier4InvocationThreshold in this JVM (the forks run the same java), or null where it cannot be read. */
    static Integer c2InvocationThreshold() {
        try {
            return Integer.valueOf(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("Tier4InvocationThreshold").getValue());
        } catch (RuntimeException e) {   // not HotSpot, or no such flag
            return null;
        }
    }

    /** {@code results}: one figure per case and impl (the rounds combined, {@link Rounds#combine}); {@code rounds}: each round's. */
    static void markdown(StringBuilder md, Map<?, ?> meta, List<Result> results, List<Result> rounds,
                         List<Ratios.Ratio> ratios) {
        List<String[]> rows = new ArrayList<>();
        Map<Ratios.Target, List<Ratios.Ratio>> byTarget = new LinkedHashMap<>();
        for (Ratios.Target t : Ratios.TARGETS) byTarget.put(t, new ArrayList<>());
        for (Ratios.Ratio r : ratios) {
            Ratios.Target t = r.target();
            if (t != null) byTarget.get(t).add(r);
        }
        byTarget.forEach((t, rs) -> {
            if (rs.isEmpty()) return;
            List<String> missed = new ArrayList<>();
            int met = 0, missedShown = 0;
            for (Ratios.Ratio r : rs) {
                if (t.met(r.median())) {
                    met++;
                    continue;
                }
                boolean shown = r.verdict().equals(Ratios.DIFFERS);
                if (shown) missedShown++;
                missed.add(Ratios.caseLabel(r.workload(), r.backend(), r.kase(), r.n(), r.k()) + " "
                        + RatioTable.ratio(r.median()) + (shown ? "" : "*"));
            }
            List<String> where = new ArrayList<>(t.backends());
            if (!t.ns().isEmpty()) {
                where.add((t.workload().equals("W2") ? "c=" : "N=")
                        + t.ns().stream().map(String::valueOf).collect(Collectors.joining(", ")));
            }
            rows.add(new String[] {t.workload() + " " + t.impl() + " ÷ " + t.vs() + ", " + metricName(t.metric())
                    + (where.isEmpty() ? "" : " (" + String.join(", ", where) + ")"),
                    t.describe(), Integer.toString(rs.size()), Integer.toString(met), Integer.toString(rs.size() - met),
                    Integer.toString(missedShown), String.join("; ", missed)});
        });
        w3(rows, results);
        alloc(rows, rounds, warmupMs(meta), c2Threshold(meta));
        if (rows.isEmpty()) return;

        md.append("## Targets at a glance\n\n");
        md.append("Issue 9's bars against this run. W1, W2 and W4: a case **meets** a bar by the median of its per-round ratios; "
                + "**missed, rounds agree** counts the misses whose rounds' spread is smaller than their distance from 1.00 "
                + "(*differs* in the ratio table); a miss marked * is within this run's noise (**no difference shown**). "
                + "W3 has one run per case, so its ratios have no spread. Every figure is in the tables below.\n\n");
        md.append("| target | bar | cases | met | missed | missed, rounds agree | missed cases |\n");
        md.append("|---|---|---:|---:|---:|---:|---|\n");
        for (String[] r : rows) md.append("| ").append(String.join(" | ", r)).append(" |\n");
        md.append('\n');
    }

    private static String metricName(String metric) {
        return switch (metric) {
            case "req_per_cpu_s" -> "req/CPU-s";
            case "p99_us" -> "p99 latency";
            case "ns_per_round" -> "ns/round";
            case "ns_per_call" -> "ns/call";
            default -> metric;
        };
    }

    /** pollkit's tick server over C's, p99 deviation and p99 spread, quiet and disturbed, at N=1000 on epoll. */
    private static void w3(List<String[]> rows, List<Result> results) {
        int cases = 0, met = 0;
        List<String> missed = new ArrayList<>();
        for (Result p : results) {
            if (!p.isOk() || !p.workload().equals("W3") || !"pollkit".equals(p.impl()) || !W3_BACKEND.equals(p.backend())
                    || !Objects.equals(p.n(), W3_N) || !(p.metric().equals("dev_p99_us") || p.metric().equals("spread_p99_us"))) {
                continue;
            }
            Result c = Report.cOf(results, p);
            if (c == null || c.median() == 0) continue;
            double ratio = p.median() / c.median();
            cases++;
            if (ratio <= W3_BOUND) met++;
            else missed.add(p.kase() + " " + (p.metric().startsWith("dev") ? "deviation" : "spread") + " "
                    + String.format(Locale.ROOT, "%.2f", ratio));
        }
        if (cases == 0) return;
        rows.add(new String[] {"W3 pollkit ÷ c, p99 deviation and spread, N=" + W3_N + " (" + W3_BACKEND + "), quiet and disturbed",
                String.format(Locale.ROOT, "≤ %.2f", W3_BOUND), Integer.toString(cases), Integer.toString(met),
                Integer.toString(cases - met), "one run", String.join("; ", missed)});
    }

    /**
     * Every pollkit benchmark of W1 and W4 below one object per operation, in its best round: an allocation on every
     * operation shows in every round, while JMH's own allocations, which come per unit of time, weigh per operation as
     * much as an operation is slow (a poll over 9000 fds takes a millisecond) and vary from fork to fork.
     * java.nio's Selector ({@code nio}) is there for comparison and allocates by design.
     *
     * <p>A W1 case whose every fork warmed up with fewer rounds than C2's invocation threshold is not counted but
     * listed: the calls made once per round (the poll downcall's wrapper) had not reached C2 when the measurement
     * began and ran as C1 code, which has no escape analysis, so each allocated the slice of its errno capture segment
     * that the JDK makes per call and C2 removes. Such a figure is still the warm-up, not the steady state the bar is
     * about.
     */
    private static void alloc(List<String[]> rows, List<Result> rounds, long warmupMs, Integer c2Threshold) {
        Map<List<Object>, Double> best = new LinkedHashMap<>();
        Map<List<Object>, Long> mostRounds = new LinkedHashMap<>();
        for (Result r : rounds) {
            if (!r.isOk() || r.allocBytesPerOp() == null || r.impl().equals("nio")) continue;
            List<Object> key = Arrays.asList(r.workload(), r.backend(), r.kase(), r.n(), r.k(), r.impl());
            best.merge(key, r.allocBytesPerOp(), Math::min);
            if (r.workload().equals("W1") && warmupMs > 0 && r.median() != null && r.median() > 0) {
                mostRounds.merge(key, Math.round(warmupMs * 1e6 / r.median()), Math::max);
            }
        }
        if (best.isEmpty()) return;
        List<String> missed = new ArrayList<>(), beforeC2 = new ArrayList<>();
        best.forEach((key, bytes) -> {
            String label = Ratios.caseLabel((String) key.get(0), (String) key.get(1), (String) key.get(2),
                    (Integer) key.get(3), (Integer) key.get(4)) + " " + key.get(5) + " " + Report.fmt(bytes) + " B/op";
            Long warmupRounds = mostRounds.get(key);   // in its fork with the most rounds
            if (c2Threshold != null && warmupRounds != null && warmupRounds < c2Threshold) {
                beforeC2.add(label + " (" + warmupRounds + " rounds)");
            } else if (bytes >= ALLOC_BOUND) {
                missed.add(label);
            }
        });
        int counted = best.size() - beforeC2.size();
        String notes = String.join("; ", missed);
        if (!beforeC2.isEmpty()) {
            notes += (notes.isEmpty() ? "" : ". ") + "Not counted, their warm-up ran fewer rounds than C2's invocation "
                    + "threshold (" + c2Threshold + ") and their once-per-round calls were still C1 code, without escape "
                    + "analysis: "
                    + String.join("; ", beforeC2);
        }
        rows.add(new String[] {"W1, W4: every pollkit benchmark (not `nio`) allocates nothing per operation",
                String.format(Locale.ROOT, "< %.0f B/op", ALLOC_BOUND), Integer.toString(counted),
                Integer.toString(counted - missed.size()), Integer.toString(missed.size()), "best round", notes});
    }

    /**
     * meta's {@link #WARMUP_MS}; for a run from before it was recorded, its profile's, when the command did not
     * change the warm-up; else 0 (unknown).
     */
    private static long warmupMs(Map<?, ?> meta) {
        if (meta.get(WARMUP_MS) instanceof Number ms) return ms.longValue();
        Object profile = meta.get("profile"), command = meta.get("command");
        if (profile == null || command == null || command.toString().contains("--warmup=")) return 0;
        try {
            return Runner.profile(profile.toString()).warmupTotalMs();
        } catch (IllegalArgumentException e) {   // a profile this version does not know
            return 0;
        }
    }

    /** meta's {@link #C2_THRESHOLD}; for a run from before it was recorded, this JVM's. */
    private static Integer c2Threshold(Map<?, ?> meta) {
        return meta.get(C2_THRESHOLD) instanceof Number t ? Integer.valueOf(t.intValue()) : c2InvocationThreshold();
    }
}
