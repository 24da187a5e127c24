package io.pollkit.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * results.md's ratio table: per workload, every {@link Ratios.Ratio} of the run with its median over the rounds,
 * min .. max, the number of rounds, whether the rounds show a difference from 1.0 at all, and issue 9's target
 * where one applies; then the ratio charts.
 */
final class RatioTable {
    private RatioTable() {}

    private static final Map<String, String> TITLES = Map.of(
            "W1", "W1 — dispatch", "W2", "W2 — http-hello", "W3", "W3 — tick fan-out", "W4", "W4 — downcall cost");

    static void markdown(StringBuilder md, Map<?, ?> meta, List<Ratios.Ratio> ratios, List<Charts.Chart> charts) {
        if (ratios.isEmpty()) return;
        md.append("## Ratios over interleaved rounds\n\n");
        md.append("In each round every implementation of a case ran once, one after the other, in an order that changes "
                + "from round to round (rotated, and reversed every other round), so a machine that drifts weighs on each "
                + "alike. Each round gives its own ratio: the implementation's figure divided by the baseline's (**÷**) "
                + "of the same round. **median**: over the rounds; **min .. max**: the rounds' range. Times (ns, p99): "
                + "below 1.00 is faster than the baseline. req/CPU-s: above 1.00 is more requests per CPU-second, better. "
                + "**rounds show**: *differs* when the rounds' spread (max − min) is smaller than the median's distance "
                + "from 1.00; otherwise **no difference shown**: the rounds disagree by more than the difference they would "
                + "show, and this run cannot tell the two apart. **target**: issue 9's bar, met (✓) or not (✗) by the median.");
        if (meta.get("rounds") != null) md.append(" Rounds in this run: ").append(meta.get("rounds")).append('.');
        md.append("\n\n");
        Map<String, List<Ratios.Ratio>> byWorkload = ratios.stream()
                .collect(Collectors.groupingBy(Ratios.Ratio::workload, java.util.TreeMap::new, Collectors.toList()));
        for (Map.Entry<String, List<Ratios.Ratio>> w : byWorkload.entrySet()) {
            md.append("### ").append(TITLES.getOrDefault(w.getKey(), w.getKey())).append("\n\n");
            boolean metrics = w.getValue().stream().map(Ratios.Ratio::metric).distinct().count() > 1;
            List<String> head = new ArrayList<>(List.of("case"));
            if (metrics) head.add("figure");
            head.addAll(List.of("impl", "÷", "median", "min .. max", "rounds", "rounds show", "target"));
            md.append("| ").append(String.join(" | ", head)).append(" |\n|");
            for (String h : head) md.append(List.of("median", "min .. max", "rounds").contains(h) ? "---:|" : "---|");
            md.append('\n');
            for (Ratios.Ratio r : w.getValue()) {
                List<String> cells = new ArrayList<>();
                cells.add(Ratios.caseLabel(r.workload(), r.backend(), r.kase(), r.n(), r.k()));
                if (metrics) cells.add(figure(r));
                cells.add(r.impl());
                cells.add(r.vs());
                cells.add("**" + ratio(r.median()) + "**");
                cells.add(ratio(r.min()) + " .. " + ratio(r.max()));
                cells.add(Integer.toString(r.values().length));
                cells.add(verdict(r));
                Ratios.Target t = r.target();
                cells.add(t == null ? "" : t.describe() + (t.met(r.median()) ? " ✓" : " ✗"));
                md.append("| ").append(String.join(" | ", cells)).append(" |\n");
            }
            md.append('\n');
            for (Charts.Chart c : charts) {
                if (c.file().startsWith("ratios-" + w.getKey().toLowerCase(Locale.ROOT))) {
                    md.append("![").append(c.caption()).append("](charts/").append(c.file()).append(")\n");
                }
            }
            md.append('\n');
        }
    }

    static String ratio(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String verdict(Ratios.Ratio r) {
        String v = r.verdict();
        if (v.equals(Ratios.NO_DIFFERENCE)) {
            // Said beside the verdict, not instead of it: rounds on one side of 1.00 but far apart still leave the size open.
            String side = r.max() < 1 ? "; every round below 1.00" : r.min() > 1 ? "; every round above 1.00" : "";
            return String.format(Locale.ROOT, "**no difference shown** (spread %.3f ≥ %.3f%s)", r.spread(), Math.abs(r.median() - 1), side);
        }
        return v;
    }

    /** The figure a ratio divides, as the tables name it. */
    static String figure(Ratios.Ratio r) {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("ns_per_round", "ns/round");
        names.put("ns_per_call", "ns/call");
        names.put("req_per_cpu_s", "req/CPU-s (higher is better)");
        names.put("p99_us", "p99 latency");
        return names.getOrDefault(r.metric(), r.metric());
    }
}
