package io.pollkit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report reads any *.jsonl of the common shape: W1/W4 from the runner, later workloads from elsewhere. */
class ReportTest {
    @Test
    void jsonRoundTrip() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"a\":[1,2.5,\"x\\\"y\\n\"],\"b\":null,\"c\":true,\"d\":{}}");
        assertEquals(List.of(1.0, 2.5, "x\"y\n"), m.get("a"));
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void reportOfEveryWorkload(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"kqueue_is_test_double\":true,"
                + "\"kqueue_lib\":\"/x/libkqueue-double.so\",\"machine\":{\"cpu\":\"CPU X\",\"cores\":2}}\n");
        Files.writeString(dir.resolve("w1.jsonl"), String.join("\n",
                line("W1", "c", "kqueue", 10, 1, null, "ns_per_round", "ns/round", 1000, null),
                line("W1", "ffm", "kqueue", 10, 1, null, "ns_per_round", "ns/round", 1500, 0.0),
                line("W1", "c", "kqueue", 1000, 1, null, "ns_per_round", "ns/round", 9000, null),
                line("W1", "ffm", "kqueue", 1000, 1, null, "ns_per_round", "ns/round", 9900, 0.0),
                "{\"workload\":\"W1\",\"impl\":\"jni\",\"backend\":\"kqueue\",\"n\":10,\"k\":1,\"status\":\"skipped\",\"reason\":\"no lib\"}") + "\n");
        Files.writeString(dir.resolve("w4.jsonl"),
                line("W4", "c", null, null, null, "getpid", "ns_per_call", "ns/call", 100, null) + "\n"
                + line("W4", "ffm", null, null, null, "getpid", "ns_per_call", "ns/call", 125, 0.0) + "\n");
        // W2 and W3 as their drivers write them, plus a foreign W2 line in the same shape.
        Files.writeString(dir.resolve("w2.jsonl"), String.join("\n",
                "{\"workload\":\"W2\",\"impl\":\"ffm\",\"backend\":\"epoll\",\"case\":\"c=50\",\"metric\":\"req_per_s\","
                + "\"unit\":\"req/s\",\"median\":90000,\"min\":88000,\"max\":91000,\"better\":\"higher\"}",
                line("W2", "c", "epoll", 50, null, null, "req_per_cpu_s", "req/CPU-s", 200000, null),
                line("W2", "c", "epoll", 50, null, null, "rss_kib", "KiB", 2048, null),
                line("W2", "pollkit", "epoll", 50, null, null, "req_per_cpu_s", "req/CPU-s", 190000, null),
                line("W2", "pollkit", "epoll", 50, null, null, "p99_us", "us", 1234, null),
                line("W2", "c", "poll", 50, null, null, "req_per_cpu_s", "req/CPU-s", 200000, null),
                line("W2", "pollkit", "poll", 50, null, null, "req_per_cpu_s", "req/CPU-s", 150000, null),
                line("W2", "pollkit", "poll", 50, null, null, "a_new_metric", "things", 7, null)) + "\n");
        Files.writeString(dir.resolve("w3.jsonl"), String.join("\n",
                line("W3", "pollkit", "kqueue", 100, null, "quiet", "dev_p99_us", "us", 1000, null),
                line("W3", "pollkit", "kqueue", 100, null, "quiet", "spread_p99_us", "us", 2500, null),
                line("W3", "pollkit", "kqueue", 100, null, "disturbed", "dev_p99_us", "us", 1500, null),
                line("W3", "pollkit", "kqueue", 100, null, "disturbed", "flood_lines_per_s", "lines/s", 500000, null)) + "\n");

        Report.generate(dir);

        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| kqueue | 10 | 1 | ffm | **1500** | 1500 .. 1500 | 1.50 | 0.00 |"), md);
        assertTrue(md.contains("| getpid | ffm | **125.0** |"), md);
        assertTrue(md.contains("## W2 — http-hello\n"), md);
        assertTrue(md.contains("| 50 | epoll | pollkit | — | — | 1234 | — | **190000** | 0.95 ✗ (bar 0.97) | — |"), md);
        assertTrue(md.contains("| 50 | epoll | c | — | — | — | — | **200000** |  | 2.00 |"), md);
        assertTrue(md.contains("| 50 | poll | pollkit | — | — | — | — | **150000** | 0.75 ✗ (bar 0.97) | — |"), md);
        assertTrue(md.contains("|  | epoll | ffm c=50 | 90000 |"), md);   // the foreign line: a row too, its case shown
        assertTrue(md.contains("## W2 — http-hello: things"), md);       // an unknown metric: the generic table
        assertTrue(md.contains("## W3 — tick fan-out\n"), md);
        assertTrue(md.contains("| 100 | quiet | kqueue (test double) | pollkit | — | **1.00** | — | — | **2.50** | — |  | — |"), md);
        assertTrue(md.contains("| 100 | disturbed | kqueue (test double) | pollkit | — | **1.50** | — | — | **—** | — | ×1.50 | 500000 |"), md);
        assertTrue(Files.readString(dir.resolve("charts/w2.svg")).contains("pollkit poll"));
        assertTrue(Files.readString(dir.resolve("charts/w3.svg")).contains("kqueue (test double)"));
        assertTrue(md.contains("](charts/w2.svg)") && md.contains("](charts/w3.svg)"), md);
        assertTrue(md.contains("not real kqueue"), md);
        assertTrue(md.contains("skipped: no lib — 1 case(s): W1 jni kqueue n=10 k=1"), md);
        assertTrue(md.contains("| CPU | CPU X |") && md.contains("| cores | 2 |"), md);
        assertTrue(Files.readString(dir.resolve("charts/w1-kqueue-k1.svg")).contains("not real kqueue"));
        assertTrue(Files.readString(dir.resolve("charts/w4.svg")).startsWith("<svg"));
        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("results.json")));
        assertEquals(Report.SCHEMA, json.get("schema"));
        assertEquals(19, ((List<?>) json.get("results")).size());
    }

    @Test
    void ratioTableOfRounds(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"rounds\":\"3\"}\n");
        StringBuilder w1 = new StringBuilder(), w2 = new StringBuilder(), w4 = new StringBuilder();
        double[] c = {1000, 1100, 900};
        for (int r = 1; r <= 3; r++) {
            w1.append(round("W1", "c", "epoll", 1000, 1, null, "ns_per_round", c[r - 1], r)).append('\n');
            w1.append(round("W1", "ffm", "epoll", 1000, 1, null, "ns_per_round", c[r - 1] * (1.10 + r / 100.0), r)).append('\n');
            w1.append(round("W1", "jni", "epoll", 1000, 1, null, "ns_per_round", c[r - 1] * (r == 2 ? 0.9 : 1.1), r)).append('\n');
            w1.append(round("W1", "nio", "epoll", 1000, 1, null, "ns_per_round", c[r - 1] * new double[] {1.1, 1.5, 1.3}[r - 1], r)).append('\n');
            w4.append(round("W4", "ffm", null, null, null, "getpid", "ns_per_call", 50, r)).append('\n');
            w4.append(round("W4", "jni", null, null, null, "getpid", "ns_per_call", 52, r)).append('\n');
            w2.append(round("W2", "c", "epoll", 50, null, null, "req_per_cpu_s", 100000, r)).append('\n');
            w2.append(round("W2", "pollkit", "epoll", 50, null, null, "req_per_cpu_s", 95000 + 1000 * r, r)).append('\n');
        }
        Files.writeString(dir.resolve("w1.jsonl"), w1);
        Files.writeString(dir.resolve("w2.jsonl"), w2);
        Files.writeString(dir.resolve("w4.jsonl"), w4);

        Report.generate(dir);

        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("## Ratios over interleaved rounds"), md);
        assertTrue(md.contains("Rounds in this run: 3."), md);
        // ffm: 1.11, 1.12, 1.13
        assertTrue(md.contains("| epoll N=1000 K=1 | ffm | c | **1.120** | 1.110 .. 1.130 | 3 | differs | ≤ 1.05 ✗ |"), md);
        // jni: 1.1, 0.9, 1.1: the spread (0.2) is wider than the difference (0.1)
        assertTrue(md.contains("| epoll N=1000 K=1 | jni | c | **1.100** | 0.900 .. 1.100 | 3 | **no difference shown** (spread 0.200 ≥ 0.100) |  |"), md);
        // nio: 1.1, 1.5, 1.3: every round slower, but by amounts too far apart to size the difference
        assertTrue(md.contains("| epoll N=1000 K=1 | nio | c | **1.300** | 1.100 .. 1.500 | 3 | **no difference shown** "
                + "(spread 0.400 ≥ 0.300; every round above 1.00) |  |"), md);
        assertTrue(md.contains("| getpid | ffm | jni | **0.962** | 0.962 .. 0.962 | 3 | differs | ≤ 1.00 ✓ |"), md);
        assertTrue(md.contains("| epoll c=50 | pollkit | c | **0.970** | 0.960 .. 0.980 | 3 | differs | ≥ 0.97 ✓ |"), md);
        // the figure tables: one row per impl, the median of the rounds' medians, ×C the median of the round ratios
        assertTrue(md.contains("| epoll | 1000 | 1 | c | **1000** | 900.0 .. 1100 | 1.00 |"), md);
        // ffm's rounds: 1110, 1232, 1017; its ×C is the median of 1.11, 1.12, 1.13, not 1110 / 1000
        assertTrue(md.contains("| epoll | 1000 | 1 | ffm | **1110** | 1017 .. 1232 | 1.12 |"), md);
        assertTrue(md.contains("**97000** [96000 .. 98000] | 0.97 [0.96 .. 0.98] ✓"), md);
        assertTrue(md.contains("](charts/ratios-w1.svg)") && md.contains("](charts/ratios-w4.svg)"), md);
        assertTrue(Files.readString(dir.resolve("charts/ratios-w1.svg")).contains("ffm ÷ c"));
        // the line at 1.00, also where every ratio is below it (W4's 0.962)
        assertTrue(Files.readString(dir.resolve("charts/ratios-w4.svg")).contains("stroke-dasharray"));
        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("results.json")));
        assertEquals(24, ((List<?>) json.get("results")).size());   // every round's figure
        List<?> ratios = (List<?>) json.get("ratios");
        assertEquals(5, ratios.size());   // W1 ffm/c, jni/c, nio/c; W2 pollkit/c; W4 ffm/jni (no W4 C here)
        Map<?, ?> first = (Map<?, ?>) ratios.get(0);
        assertEquals("ffm", first.get("impl"));
        assertEquals(List.of(1.0, 2.0, 3.0), first.get("rounds"));
        assertEquals(Ratios.DIFFERS, first.get("verdict"));
    }

    private static String round(String w, String impl, String backend, Integer n, Integer k, String kase, String metric,
                                double median, int round) {
        String better = metric.equals("req_per_cpu_s") ? "higher" : "lower";
        return Json.write(new Result(w, impl, backend, n, k, kase, metric, metric.equals("req_per_cpu_s") ? "req/CPU-s" : "ns",
                median, median, median, 1, null, better, "test", Result.OK, null, round).toJson());
    }

    private static String line(String w, String impl, String backend, Integer n, Integer k, String kase, String metric,
                               String unit, double median, Double alloc) {
        return Json.write(new Result(w, impl, backend, n, k, kase, metric, unit, median, median, median, 3, alloc,
                "lower", "test", Result.OK, null).toJson());
    }
}
