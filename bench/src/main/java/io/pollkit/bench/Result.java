package io.pollkit.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One figure in the common shape every producer writes, one JSON object per line, into
 * {@code <run>/<workload>.jsonl} (bench/README.md documents it; W2Http and W3Tick write the same):
 *
 * <pre>
 * workload            "W1".."W4"
 * impl                ffm | ffm-critical | jni | nio | pollkit-poller | c; W2/W3: pollkit | pollkit-raw | c
 * backend             select | poll | epoll | kqueue, or null
 * n, k                W1's N and K, W2's connections, W3's clients, or null
 * case                a sub-case within the workload (W4: getpid | poll; W3: quiet | disturbed), or null
 * metric, unit        what was measured: ns_per_round / "ns/round", ns_per_call / "ns/call", ...
 * median, min, max    over the samples (JMH measurement iterations of all forks; C samples; W2 runs)
 * samples             how many
 * alloc_bytes_per_op  JMH -prof gc's gc.alloc.rate.norm (B/op); null for C
 * better              "lower" (default) or "higher"
 * source              jmh:Class.method, c:program or pollkit:server
 * status              ok (default) | skipped | failed, and then reason
 * round               1.. when the figure is one round of an interleaved comparison (see {@link Rounds}), else absent
 * </pre>
 */
record Result(String workload, String impl, String backend, Integer n, Integer k, String kase, String metric,
              String unit, Double median, Double min, Double max, Integer samples, Double allocBytesPerOp,
              String better, String source, String status, String reason, Integer round) {

    static final String OK = "ok", SKIPPED = "skipped", FAILED = "failed";

    /** A figure that belongs to no round (W3, or a producer outside the runner). */
    Result(String workload, String impl, String backend, Integer n, Integer k, String kase, String metric,
           String unit, Double median, Double min, Double max, Integer samples, Double allocBytesPerOp,
           String better, String source, String status, String reason) {
        this(workload, impl, backend, n, k, kase, metric, unit, median, min, max, samples, allocBytesPerOp, better, source,
                status, reason, null);
    }

    /** The same figure, measured in round {@code r} of its comparison. */
    Result inRound(int r) {
        return new Result(workload, impl, backend, n, k, kase, metric, unit, median, min, max, samples, allocBytesPerOp,
                better, source, status, reason, r);
    }

    static Result ok(Case c, String metric, String unit, double median, double min, double max, int samples,
                     Double alloc, String source) {
        return new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), metric, unit, median, min, max,
                samples, alloc, "lower", source, OK, null);
    }

    static Result notMeasured(Case c, String status, String reason) {
        return new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), null, null, null, null, null,
                null, null, null, null, status, reason);
    }

    boolean isOk() {
        return status == null || status.equals(OK);
    }

    boolean lowerIsBetter() {
        return better == null || !better.equals("higher");
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", workload);
        m.put("impl", impl);
        m.put("backend", backend);
        m.put("n", n);
        m.put("k", k);
        m.put("case", kase);
        m.put("metric", metric);
        m.put("unit", unit);
        m.put("median", median);
        m.put("min", min);
        m.put("max", max);
        m.put("samples", samples);
        m.put("alloc_bytes_per_op", allocBytesPerOp);
        m.put("better", better);
        m.put("source", source);
        m.put("status", status == null ? OK : status);
        if (reason != null) m.put("reason", reason);
        if (round != null) m.put("round", round);
        return m;
    }

    static Result fromJson(Map<?, ?> m) {
        return new Result(str(m, "workload"), str(m, "impl"), str(m, "backend"), integer(m, "n"), integer(m, "k"),
                str(m, "case"), str(m, "metric"), str(m, "unit"), num(m, "median"), num(m, "min"), num(m, "max"),
                integer(m, "samples"), num(m, "alloc_bytes_per_op"), str(m, "better"), str(m, "source"),
                str(m, "status"), str(m, "reason"), integer(m, "round"));
    }

    private static String str(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? null : v.toString();
    }

    private static Double num(Map<?, ?> m, String key) {
        return m.get(key) instanceof Number x ? x.doubleValue() : null;
    }

    private static Integer integer(Map<?, ?> m, String key) {
        return m.get(key) instanceof Number x ? x.intValue() : null;
    }

    /** A short label: {@code W1 ffm epoll n=1000 k=10}, {@code W4 c getpid}. */
    String label() {
        return Case.label(workload, impl, backend, kase, n, k);
    }
}
