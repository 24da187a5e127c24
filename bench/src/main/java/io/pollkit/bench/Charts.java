package io.pollkit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.DoubleUnaryOperator;

/**
 * The charts of a run, as plain SVG written by hand (no plotting dependency): W1's ns per round against
 * N on log-log axes, one chart per backend and K with a line per impl; W4's ns per call as bars per
 * call and impl; W2's requests per server CPU-second and W3's p99 tick deviation as bars per case and
 * server. Every point and bar carries a min..max whisker. {@link #logLog} and {@link #bars}
 * are generic, for the workloads that come later.
 */
final class Charts {
    private Charts() {}

    record Point(double x, double y, double lo, double hi) {}

    record Series(String name, String color, List<Point> points) {}

    record Bar(String label, String color, double value, double lo, double hi) {}

    /** A chart written to {@code charts/<file>}, with its caption for results.md. */
    record Chart(String file, String caption) {}

    /** The order and colours of the impls, in every chart and table. */
    static final List<String> IMPLS = List.of("c", "c-mt", "ffm", "ffm-critical", "ffm-unchecked", "jni", "pollkit-poller", "nio", "pollkit", "pollkit-raw");
    private static final Map<String, String> COLORS = Map.ofEntries(
            Map.entry("c", "#222222"), Map.entry("c-mt", "#7f7f7f"), Map.entry("ffm", "#1f77b4"),
            Map.entry("ffm-critical", "#17becf"), Map.entry("ffm-unchecked", "#aec7e8"), Map.entry("jni", "#d62728"),
            Map.entry("pollkit-poller", "#ff7f0e"), Map.entry("nio", "#2ca02c"), Map.entry("pollkit", "#1f77b4"),
            Map.entry("pollkit-raw", "#9467bd"));
    private static final List<String> SPARE_COLORS = List.of("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22");

    static String color(String impl) {
        String c = COLORS.get(impl);
        return c != null ? c : SPARE_COLORS.get(Math.floorMod(impl.hashCode(), SPARE_COLORS.size()));
    }

    static int implOrder(String impl) {
        int i = IMPLS.indexOf(impl);
        return i < 0 ? IMPLS.size() : i;
    }

    /** Writes the charts of W1 and W4 into {@code dir}; returns them in the order results.md shows them. */
    static List<Chart> write(Path dir, List<Result> results, boolean kqueueIsDouble) throws IOException {
        List<Chart> charts = new ArrayList<>();
        Files.createDirectories(dir);

        // W1: one chart per backend and K.
        List<Result> w1 = results.stream().filter(r -> r.isOk() && r.workload().equals("W1") && r.n() != null).toList();
        for (String backend : Runner.W1_BACKENDS) {
            TreeSet<Integer> ks = new TreeSet<>();
            w1.stream().filter(r -> backend.equals(r.backend())).forEach(r -> ks.add(r.k()));
            for (int k : ks) {
                Map<String, List<Point>> byImpl = new LinkedHashMap<>();
                w1.stream().filter(r -> backend.equals(r.backend()) && r.k() == k)
                        .sorted(Comparator.comparing((Result r) -> implOrder(r.impl())).thenComparing(Result::n))
                        .forEach(r -> byImpl.computeIfAbsent(r.impl(), x -> new ArrayList<>())
                                .add(new Point(r.n(), r.median(), r.min(), r.max())));
                List<Series> series = new ArrayList<>();
                byImpl.forEach((impl, points) -> series.add(new Series(impl, color(impl), points)));
                String file = "w1-" + backend + "-k" + k + ".svg";
                String note = backend.equals("kqueue") && kqueueIsDouble ? " (epoll + the test double, not real kqueue)" : "";
                String title = "W1 dispatch, " + backend + ", K=" + k + note;
                Files.writeString(dir.resolve(file), logLog(title, "N (socketpairs)", "ns per round", series));
                charts.add(new Chart(file, title));
            }
        }

        // W4: bars per call and impl.
        Map<String, List<Bar>> groups = new LinkedHashMap<>();
        results.stream().filter(r -> r.isOk() && r.workload().equals("W4"))
                .sorted(Comparator.comparing((Result r) -> String.valueOf(r.kase())).thenComparing(r -> implOrder(r.impl())))
                .forEach(r -> groups.computeIfAbsent(String.valueOf(r.kase()), x -> new ArrayList<>())
                        .add(new Bar(r.impl(), color(r.impl()), r.median(), r.min(), r.max())));
        if (!groups.isEmpty()) {
            String title = "W4 downcall cost: getpid() and poll(1 fd, timeout 0)";
            Files.writeString(dir.resolve("w4.svg"), bars(title, "ns per call", groups));
            charts.add(new Chart("w4.svg", title));
        }
        // W2: requests per server CPU-second, bars per connection count and server.
        Map<String, List<Bar>> w2 = new LinkedHashMap<>();
        results.stream().filter(r -> r.isOk() && r.workload().equals("W2") && "req_per_cpu_s".equals(r.metric()) && r.median() != null)
                .sorted(Comparator.comparing((Result r) -> r.n() == null ? 0 : r.n())
                        .thenComparing(r -> LoadTables.backendOrder(r.backend())).thenComparing(r -> implOrder(r.impl())))
                .forEach(r -> w2.computeIfAbsent("N=" + r.n() + " connections", x -> new ArrayList<>())
                        .add(new Bar(LoadTables.server(r, kqueueIsDouble), color(r.impl()), r.median(), r.min(), r.max())));
        if (!w2.isEmpty()) {
            String title = "W2 http-hello: requests per second of server CPU (higher is better)";
            Files.writeString(dir.resolve("w2.svg"), bars(title, "req/CPU-s", w2));
            charts.add(new Chart("w2.svg", title));
        }

        // W3: p99 deviation from the interval, bars per N and run, per server.
        Map<String, List<Bar>> w3 = new LinkedHashMap<>();
        results.stream().filter(r -> r.isOk() && r.workload().equals("W3") && "dev_p99_us".equals(r.metric()) && r.median() != null)
                .sorted(Comparator.comparing((Result r) -> r.n() == null ? 0 : r.n())
                        .thenComparing(r -> LoadTables.order(List.of(Runner.QUIET, Runner.DISTURBED), r.kase()))
                        .thenComparing(r -> LoadTables.backendOrder(r.backend())).thenComparing(r -> implOrder(r.impl())))
                .forEach(r -> w3.computeIfAbsent("N=" + r.n() + ", " + r.kase(), x -> new ArrayList<>())
                        .add(new Bar(LoadTables.server(r, kqueueIsDouble), color(r.impl()), r.median() / 1000,
                                r.min() / 1000, r.max() / 1000)));
        if (!w3.isEmpty()) {
            String title = "W3 tick fan-out: p99 deviation of the tick interval from 100 ms (lower is better)";
            Files.writeString(dir.resolve("w3.svg"), bars(title, "ms", w3));
            charts.add(new Chart("w3.svg", title));
        }
        return charts;
    }

    /**
     * One chart per workload and metric of the ratios over rounds ({@code charts/ratios-w1.svg}, W2 with its metric
     * in the name): a bar per impl ÷ baseline, grouped by case, the median with a min..max whisker over the rounds
     * and a line at 1.00.
     */
    static List<Chart> ratios(Path dir, List<Ratios.Ratio> ratios) throws IOException {
        Files.createDirectories(dir);
        Map<String, Set<String>> metrics = new HashMap<>();
        for (Ratios.Ratio r : ratios) metrics.computeIfAbsent(r.workload(), x -> new HashSet<>()).add(r.metric());
        Map<String, String> titles = new TreeMap<>();
        Map<String, Map<String, List<Bar>>> groups = new HashMap<>();
        for (Ratios.Ratio r : ratios) {
            boolean several = metrics.get(r.workload()).size() > 1;
            String file = "ratios-" + r.workload().toLowerCase(Locale.ROOT) + (several ? "-" + r.metric().replace('_', '-') : "") + ".svg";
            titles.putIfAbsent(file, r.workload() + " ratios over interleaved rounds" + (several ? ", " + RatioTable.figure(r) : ""));
            groups.computeIfAbsent(file, x -> new LinkedHashMap<>())
                    .computeIfAbsent(Ratios.caseLabel(r.workload(), r.backend(), r.kase(), r.n(), r.k()), x -> new ArrayList<>())
                    .add(new Bar(r.impl() + " ÷ " + r.vs(), color(r.impl()), r.median(), r.min(), r.max()));
        }
        List<Chart> charts = new ArrayList<>();
        for (Map.Entry<String, String> t : titles.entrySet()) {
            Files.writeString(dir.resolve(t.getKey()), bars(t.getValue(), "ratio", groups.get(t.getKey()), 1.0));
            charts.add(new Chart(t.getKey(), t.getValue()));
        }
        return charts;
    }

    // ---- the generic charts ----

    private static final int W = 780, H = 460, LEFT = 80, RIGHT = 600, TOP = 50, BOTTOM = 400;

    /** A log-log line chart with min..max whiskers; x ticks at the data's x values. */
    static String logLog(String title, String xLabel, String yLabel, List<Series> series) {
        TreeSet<Double> xs = new TreeSet<>();
        double yMin = Double.MAX_VALUE, yMax = 0;
        for (Series s : series) {
            for (Point p : s.points()) {
                xs.add(p.x());
                yMin = Math.min(yMin, Math.min(p.lo(), p.y()));
                yMax = Math.max(yMax, Math.max(p.hi(), p.y()));
            }
        }
        Svg svg = new Svg(W, H);
        svg.text(W / 2.0, 24, title, "middle", 15, "bold");
        if (xs.isEmpty()) {
            svg.text(W / 2.0, H / 2.0, "no data", "middle", 13, "normal");
            return svg.end();
        }
        double x0 = Math.log10(xs.first() / 1.6), x1 = Math.log10(xs.last() * 1.6);
        double y0 = Math.floor(Math.log10(yMin)), y1 = Math.ceil(Math.log10(yMax));
        if (y1 <= y0) y1 = y0 + 1;
        final double fx0 = x0, fx1 = x1, fy0 = y0, fy1 = y1;
        DoubleUnaryOperator px = v -> LEFT + (Math.log10(v) - fx0) / (fx1 - fx0) * (RIGHT - LEFT);
        DoubleUnaryOperator py = v -> BOTTOM - (Math.log10(v) - fy0) / (fy1 - fy0) * (BOTTOM - TOP);

        // grid and ticks
        boolean fine = y1 - y0 <= 3;
        for (int d = (int) y0; d <= (int) y1; d++) {
            for (int m : fine ? new int[] {1, 2, 5} : new int[] {1}) {
                double v = m * Math.pow(10, d);
                if (v < Math.pow(10, y0) || v > Math.pow(10, y1)) continue;
                double y = py.applyAsDouble(v);
                svg.line(LEFT, y, RIGHT, y, m == 1 ? "#cccccc" : "#eeeeee", 1, null);
                svg.text(LEFT - 6, y + 4, tick(v), "end", 11, "normal");
            }
        }
        for (double x : xs) {
            double X = px.applyAsDouble(x);
            svg.line(X, TOP, X, BOTTOM, "#eeeeee", 1, null);
            svg.text(X, BOTTOM + 16, tick(x), "middle", 11, "normal");
        }
        svg.rect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP, "none", "#888888");
        svg.text((LEFT + RIGHT) / 2.0, BOTTOM + 36, xLabel + ", log scale", "middle", 12, "normal");
        svg.raw(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" transform=\"rotate(-90 18 %.1f)\" text-anchor=\"middle\" "
                + "font-size=\"12\">%s, log scale</text>%n", (TOP + BOTTOM) / 2.0, (TOP + BOTTOM) / 2.0, Svg.escape(yLabel)));

        // series, each nudged sideways a little so that whiskers at the same N stay apart
        int row = 0;
        for (Series s : series) {
            double dodge = (row - (series.size() - 1) / 2.0) * 4;
            StringBuilder pts = new StringBuilder();
            for (Point p : s.points()) {
                double X = px.applyAsDouble(p.x()) + dodge;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", X, py.applyAsDouble(p.y())));
                double lo = py.applyAsDouble(p.lo()), hi = py.applyAsDouble(p.hi());
                svg.line(X, lo, X, hi, s.color(), 1, null);
                svg.line(X - 3, lo, X + 3, lo, s.color(), 1, null);
                svg.line(X - 3, hi, X + 3, hi, s.color(), 1, null);
            }
            if (s.points().size() > 1) {
                svg.raw(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        pts.toString().trim(), s.color()));
            }
            for (Point p : s.points()) svg.circle(px.applyAsDouble(p.x()) + dodge, py.applyAsDouble(p.y()), 3.5, s.color());
            double ly = TOP + 10 + row++ * 22;
            svg.line(RIGHT + 18, ly, RIGHT + 42, ly, s.color(), 2, null);
            svg.circle(RIGHT + 30, ly, 3.5, s.color());
            svg.text(RIGHT + 50, ly + 4, s.name(), "start", 12, "normal");
        }
        svg.text(RIGHT + 18, TOP + 14 + row * 22, "median; whiskers: min..max", "start", 10, "normal");
        return svg.end();
    }

    /** A tick label: whole numbers without decimals. */
    private static String tick(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Report.fmt(v);
    }

    /** Horizontal bars grouped under headings, each with its value and a min..max whisker. */
    static String bars(String title, String unit, Map<String, List<Bar>> groups) {
        return bars(title, unit, groups, null);
    }

    /** The same, with a dashed vertical line at {@code reference} (a ratio's 1.00) when it is not null. */
    static String bars(String title, String unit, Map<String, List<Bar>> groups, Double reference) {
        int longest = groups.values().stream().flatMap(List::stream).mapToInt(b -> b.label().length()).max().orElse(0);
        int barH = 18, gap = 6, left = Math.max(150, 16 + longest * 7), right = W - 110;
        int rows = groups.values().stream().mapToInt(List::size).sum();
        int height = 70 + groups.size() * 28 + rows * (barH + gap) + 30;
        double max = groups.values().stream().flatMap(List::stream).mapToDouble(b -> Math.max(b.hi(), b.value())).max().orElse(1);
        if (reference != null) max = Math.max(max, reference);   // the line at 1.00 stays on the chart
        double scale = (right - left) / (max * 1.05);
        Svg svg = new Svg(W, height);
        svg.text(W / 2.0, 24, title, "middle", 15, "bold");
        double y = 50;
        for (Map.Entry<String, List<Bar>> g : groups.entrySet()) {
            svg.text(12, y + 16, g.getKey(), "start", 13, "bold");
            y += 28;
            for (Bar b : g.getValue()) {
                svg.text(left - 8, y + barH - 5, b.label(), "end", 12, "normal");
                svg.rect(left, y, b.value() * scale, barH, b.color(), null);
                double lo = left + b.lo() * scale, hi = left + b.hi() * scale, mid = y + barH / 2.0;
                svg.line(lo, mid, hi, mid, "#777777", 1.5, null);
                svg.line(lo, y + 3, lo, y + barH - 3, "#777777", 1.5, null);
                svg.line(hi, y + 3, hi, y + barH - 3, "#777777", 1.5, null);
                svg.text(Math.max(hi, left + b.value() * scale) + 6, y + barH - 5, Report.fmt(b.value()), "start", 11, "normal");
                y += barH + gap;
            }
        }
        svg.line(left, y + 4, right, y + 4, "#888888", 1, null);
        svg.text(left, y + 20, "0", "middle", 11, "normal");
        if (reference != null) {
            double x = left + reference * scale;
            svg.line(x, 44, x, y + 4, "#444444", 1, "4 3");
            svg.text(x, y + 20, Report.fmt(reference), "middle", 11, "normal");
        }
        svg.text(right, y + 20, unit + " (median; whiskers: min..max)", "end", 11, "normal");
        return svg.end();
    }

    /** A tiny SVG writer. */
    private static final class Svg {
        private final StringBuilder b = new StringBuilder();

        Svg(int w, int h) {
            b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">%n", w, h, w, h));
            b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        }

        void raw(String s) {
            b.append(s);
        }

        void line(double x1, double y1, double x2, double y2, String color, double width, String dash) {
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>%n",
                    x1, y1, x2, y2, color, width, dash == null ? "" : " stroke-dasharray=\"" + dash + "\""));
        }

        void rect(double x, double y, double w, double h, String fill, String stroke) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>%n",
                    x, y, w, h, fill, stroke == null ? "" : " stroke=\"" + stroke + "\""));
        }

        void circle(double x, double y, double r, String fill) {
            b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n", x, y, r, fill));
        }

        void text(double x, double y, String s, String anchor, int size, String weight) {
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s>%s</text>%n",
                    x, y, anchor, size, weight.equals("normal") ? "" : " font-weight=\"" + weight + "\"", escape(s)));
        }

        static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }

        String end() {
            return b.append("</svg>\n").toString();
        }
    }
}
