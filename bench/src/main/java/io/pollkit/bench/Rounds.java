package io.pollkit.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Interleaved rounds. The implementations compared in one case (W1: a backend, N and K; W2: a backend and a
 * connection count; W4: a call) form a group; each round runs every member once, one after the other, and the
 * order changes from round to round. A machine that drifts (another process starts, the CPU's clock changes, a
 * cache warms) then weighs on every member alike instead of on whichever always ran last, and each round gives
 * its own ratio to C, measured minutes apart from the others: their spread is what the run can resolve.
 *
 * <p>Round r (from 0) runs the members rotated left by r / 2, reversed when r is odd. For A B C: ABC, CBA, BCA,
 * ACB, CAB, BAC. Each pair of rounds mirrors the positions (a drift linear in time cancels over the pair), and
 * over 2m rounds each of the m members takes each position exactly twice.
 *
 * <p>{@link #combine} folds the rounds of one member back into one figure for the per-implementation tables
 * and charts; the ratios themselves are {@link Ratios}'s.
 */
final class Rounds {
    private Rounds() {}

    /** The workloads run in interleaved rounds; W3 (one long run per server) is not. */
    static final List<String> INTERLEAVED = List.of("W1", "W2", "W4");

    static boolean interleaved(Case c) {
        return INTERLEAVED.contains(c.workload());
    }

    /** The order of {@code members} in round {@code round} (from 0). */
    static <T> List<T> order(List<T> members, int round) {
        if (round < 0) throw new IllegalArgumentException("round " + round);
        List<T> o = new ArrayList<>(members);
        if (o.isEmpty()) return o;
        Collections.rotate(o, -((round / 2) % o.size()));
        if (round % 2 == 1) Collections.reverse(o);
        return o;
    }

    /** What makes cases comparable: the same workload, backend, case, N and K; only the impl differs. */
    static List<Object> key(Case c) {
        return Arrays.asList(c.workload(), c.backend(), c.kase(), c.n(), c.k());
    }

    /**
     * The plan cut into groups of comparable cases, in plan order: a group is a run of consecutive cases with
     * the same {@link #key}. The plan lists each case's implementations together, so this is one group per case.
     */
    static List<List<Case>> groups(List<Case> plan) {
        List<List<Case>> groups = new ArrayList<>();
        List<Case> current = null;
        for (Case c : plan) {
            if (current == null || !key(current.get(0)).equals(key(c))) {
                current = new ArrayList<>();
                groups.add(current);
            }
            current.add(c);
        }
        return groups;
    }

    /**
     * One figure per implementation and metric out of its rounds, for the tables and charts that show figures:
     * the median of the rounds' medians, the min and max over every sample of every round, the samples summed,
     * the median of the allocation figures. Results without a round, and results that are not ok, pass unchanged.
     */
    static List<Result> combine(List<Result> results) {
        Map<List<Object>, List<Result>> byFigure = new LinkedHashMap<>();
        List<Object> order = new ArrayList<>();   // the first place of each figure, so the output keeps the input's order
        for (Result r : results) {
            if (r.round() == null || !r.isOk() || r.median() == null) {
                order.add(r);
                continue;
            }
            List<Object> key = Arrays.asList(r.workload(), r.impl(), r.backend(), r.n(), r.k(), r.kase(), r.metric(), r.unit());
            byFigure.computeIfAbsent(key, x -> {
                order.add(x);
                return new ArrayList<>();
            }).add(r);
        }
        List<Result> out = new ArrayList<>();
        for (Object o : order) {
            if (o instanceof Result r) {
                out.add(r);
                continue;
            }
            List<Result> rs = byFigure.get(o);
            Result first = rs.get(0);
            double[] medians = rs.stream().mapToDouble(Result::median).toArray();
            double min = rs.stream().mapToDouble(r -> r.min() != null ? r.min() : r.median()).min().orElseThrow();
            double max = rs.stream().mapToDouble(r -> r.max() != null ? r.max() : r.median()).max().orElseThrow();
            int samples = rs.stream().mapToInt(r -> r.samples() != null ? r.samples() : 1).sum();
            double[] allocs = rs.stream().map(Result::allocBytesPerOp).filter(Objects::nonNull).mapToDouble(Double::doubleValue).toArray();
            out.add(new Result(first.workload(), first.impl(), first.backend(), first.n(), first.k(), first.kase(),
                    first.metric(), first.unit(), Ratios.median(medians), min, max, samples,
                    allocs.length == 0 ? null : Ratios.median(allocs), first.better(), first.source(), Result.OK, null, null));
        }
        return out;
    }
}
