package io.pollkit.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The ratios of a run with interleaved rounds ({@link Rounds}): in every round, each implementation's figure
 * divided by its baseline's figure of the same round; then, over the rounds, the median of those ratios and
 * their min and max. A ratio is read against 1.0: when the rounds disagree by more than the median's distance
 * from 1.0 (max − min ≥ |median − 1|), the run has not shown a difference either way, and the report says so.
 *
 * <p>Which figures are divided by which is data, below: every impl by {@code c}; every impl but the C ones by
 * {@code c-mt} where the case has one (select and poll); and the {@link #EXTRA} pairs (W4: FFM by JNI, FFM by
 * the same downcall without the bounds checks). The {@link #TARGETS} are issue 9's bars.
 */
final class Ratios {
    private Ratios() {}

    /** The metrics whose per-round ratios are taken. */
    static final List<String> METRICS = List.of("ns_per_round", "ns_per_call", "req_per_cpu_s", "p99_us");

    /** The baselines every other impl of a case is divided by, when the case has them. */
    static final List<String> BASELINES = List.of("c", "c-mt");

    /** A comparison beyond the baselines: {@code impl} over {@code vs} within {@code workload}. */
    record Pair(String workload, String impl, String vs) {}

    static final List<Pair> EXTRA = List.of(new Pair("W4", "ffm", "jni"), new Pair("W4", "ffm", "ffm-unchecked"),
            new Pair("W2", Runner.W2_URING_READINESS, "pollkit"));

    /**
     * A bar for a ratio: {@code impl / vs} of {@code metric} in {@code workload}, on the listed backends and N (all
     * when empty), at most {@code bound} (or at least, when {@code atLeast}). With {@code plainCase} only the case
     * without a sub-case: W2's bars are for one loop, not the {@code loops=2} rows.
     */
    record Target(String workload, String metric, String impl, String vs, List<String> backends, List<Integer> ns,
                  boolean plainCase, double bound, boolean atLeast) {
        boolean applies(Ratio r) {
            return workload.equals(r.workload()) && metric.equals(r.metric()) && impl.equals(r.impl()) && vs.equals(r.vs())
                    && (backends.isEmpty() || backends.contains(r.backend())) && (ns.isEmpty() || ns.contains(r.n()))
                    && (!plainCase || r.kase() == null);
        }

        boolean met(double ratio) {
            return atLeast ? ratio >= bound : ratio <= bound;
        }

        String describe() {
            return (atLeast ? "≥ " : "≤ ") + String.format(Locale.ROOT, "%.2f", bound);
        }
    }

    static final List<Target> TARGETS = List.of(
            new Target("W2", "req_per_cpu_s", "pollkit", "c", List.of("epoll"), List.of(50, 500), true, 0.97, true),
            new Target("W2", "p99_us", "pollkit", "c", List.of("epoll"), List.of(50, 500), true, 1.5, false),
            new Target("W1", "ns_per_round", "ffm", "c", List.of("epoll", "kqueue"), List.of(), true, 1.05, false),
            new Target("W1", "ns_per_round", "ffm", "c-mt", List.of("select", "poll"), List.of(), true, 1.05, false),
            new Target("W4", "ns_per_call", "ffm", "jni", List.of(), List.of(), false, 1.0, false));

    /** What the rounds say about a ratio. */
    static final String DIFFERS = "differs", NO_DIFFERENCE = "no difference shown", ONE_ROUND = "one round: no spread";

    /** One ratio over the rounds: {@code values[i]} is round {@code rounds.get(i)}'s. */
    record Ratio(String workload, String backend, Integer n, Integer k, String kase, String metric, String unit,
                 String better, String impl, String vs, List<Integer> rounds, double[] values) {
        double median() {
            return Ratios.median(values);
        }

        double min() {
            return Arrays.stream(values).min().orElse(Double.NaN);
        }

        double max() {
            return Arrays.stream(values).max().orElse(Double.NaN);
        }

        /** max − min of the per-round ratios. */
        double spread() {
            return max() - min();
        }

        String verdict() {
            return Ratios.verdict(values);
        }

        Target target() {
            return TARGETS.stream().filter(t -> t.applies(this)).findFirst().orElse(null);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("workload", workload);
            m.put("backend", backend);
            m.put("n", n);
            m.put("k", k);
            m.put("case", kase);
            m.put("metric", metric);
            m.put("better", better);
            m.put("impl", impl);
            m.put("vs", vs);
            m.put("rounds", rounds);
            m.put("ratios", Arrays.stream(values).boxed().toList());
            m.put("median", median());
            m.put("min", min());
            m.put("max", max());
            m.put("verdict", verdict());
            Target t = target();
            if (t != null) {
                m.put("target", t.describe());
                m.put("target_met", t.met(median()));
            }
            return m;
        }
    }

    /** The median; an even count takes the mean of the middle two (as the C baselines and W2 do). NaN when empty. */
    static double median(double[] values) {
        if (values.length == 0) return Double.NaN;
        double[] v = values.clone();
        Arrays.sort(v);
        int h = v.length / 2;
        return v.length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }

    /** {@link #DIFFERS} when the rounds' spread is smaller than the median's distance from 1.0. */
    static String verdict(double[] ratios) {
        if (ratios.length < 2) return ONE_ROUND;
        double min = Arrays.stream(ratios).min().orElseThrow(), max = Arrays.stream(ratios).max().orElseThrow();
        return max - min < Math.abs(median(ratios) - 1.0) ? DIFFERS : NO_DIFFERENCE;
    }

    /**
     * Every ratio of the results that carry a round: per case (workload, backend, N, K, case) and {@link #METRICS}
     * metric, each impl over each baseline and {@link #EXTRA} pair present, over the rounds in which both have a
     * figure. In the order the cases first appear, then by impl order.
     */
    static List<Ratio> compute(List<Result> results) {
        Map<List<Object>, Map<String, Map<Integer, Result>>> cases = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.round() == null || !r.isOk() || r.median() == null || !METRICS.contains(r.metric())) continue;
            List<Object> key = Arrays.asList(r.workload(), r.backend(), r.n(), r.k(), r.kase(), r.metric());
            cases.computeIfAbsent(key, x -> new LinkedHashMap<>()).computeIfAbsent(r.impl(), x -> new TreeMap<>()).put(r.round(), r);
        }
        List<Ratio> out = new ArrayList<>();
        for (Map.Entry<List<Object>, Map<String, Map<Integer, Result>>> e : cases.entrySet()) {
            Map<String, Map<Integer, Result>> byImpl = e.getValue();
            List<String> impls = byImpl.keySet().stream()
                    .sorted(Comparator.comparing(Charts::implOrder).thenComparing(Comparator.naturalOrder())).toList();
            for (Pair p : pairs(impls, (String) e.getKey().get(0))) {
                Ratio ratio = ratio(byImpl.get(p.impl()), byImpl.get(p.vs()), p.vs());
                if (ratio != null) out.add(ratio);
            }
        }
        return out;
    }

    /** Which impl is divided by which, among the impls present in a case. */
    static List<Pair> pairs(Collection<String> impls, String workload) {
        List<Pair> pairs = new ArrayList<>();
        for (String vs : BASELINES) {
            if (!impls.contains(vs)) continue;
            for (String impl : impls) {
                if (impl.equals(vs) || (!vs.equals("c") && BASELINES.contains(impl))) continue;
                pairs.add(new Pair(workload, impl, vs));
            }
        }
        for (Pair p : EXTRA) {
            if (p.workload().equals(workload) && impls.contains(p.impl()) && impls.contains(p.vs())) pairs.add(p);
        }
        return pairs;
    }

    private static Ratio ratio(Map<Integer, Result> impl, Map<Integer, Result> vs, String vsName) {
        List<Integer> rounds = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Map.Entry<Integer, Result> e : impl.entrySet()) {
            Result base = vs.get(e.getKey());
            if (base == null || base.median() == 0) continue;
            rounds.add(e.getKey());
            values.add(e.getValue().median() / base.median());
        }
        if (rounds.isEmpty()) return null;
        Result r = impl.values().iterator().next();
        return new Ratio(r.workload(), r.backend(), r.n(), r.k(), r.kase(), r.metric(), r.unit(),
                r.lowerIsBetter() ? "lower" : "higher", r.impl(), vsName, rounds,
                values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The ratio of {@code impl} over {@code vs} in the same case and metric as {@code r}, or null. */
    static Ratio find(List<Ratio> ratios, Result r, String vs) {
        return ratios.stream().filter(x -> x.impl().equals(r.impl()) && x.vs().equals(vs)
                && x.workload().equals(r.workload()) && Objects.equals(x.metric(), r.metric())
                && Objects.equals(x.backend(), r.backend()) && Objects.equals(x.n(), r.n())
                && Objects.equals(x.k(), r.k()) && Objects.equals(x.kase(), r.kase())).findFirst().orElse(null);
    }

    /** A case as the ratio table names it: {@code epoll N=1000 K=1}, {@code getpid}, W2's {@code epoll c=50}. */
    static String caseLabel(String workload, String backend, String kase, Integer n, Integer k) {
        List<String> parts = new ArrayList<>();
        if (backend != null) parts.add(backend);
        if (kase != null) parts.add(kase);
        if (n != null) parts.add((workload.equals("W2") ? "c=" : "N=") + n);
        if (k != null) parts.add("K=" + k);
        return String.join(" ", parts);
    }
}
