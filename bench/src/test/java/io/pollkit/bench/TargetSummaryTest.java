package io.pollkit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** "Targets at a glance": per bar, the cases met and missed, and which misses the rounds agree on. */
class TargetSummaryTest {
    private static String line(String w, String impl, String backend, Integer n, Integer k, String kase, String metric,
                               double median, Double alloc, Integer round, String better) {
        return Json.write(new Result(w, impl, backend, n, k, kase, metric, "x", median, median, median, 3, alloc,
                better, "test", Result.OK, null, round).toJson());
    }

    @Test
    void eachBarSaysWhatMetItAndWhichMissesAreMoreThanNoise(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"machine\":{\"cpu\":\"CPU X\",\"cores\":2}}\n");
        List<String> w1 = new ArrayList<>(), w2 = new ArrayList<>(), w4 = new ArrayList<>();
        double[] jni = {100, 90, 110};
        for (int r = 1; r <= 3; r++) {
            // W2 epoll c=50: 0.90-0.92 of C in every round, a miss the rounds agree on; c=500 misses within the noise.
            w2.add(line("W2", "c", "epoll", 50, null, null, "req_per_cpu_s", 100_000, null, r, "higher"));
            w2.add(line("W2", "pollkit", "epoll", 50, null, null, "req_per_cpu_s", 89_000 + r * 1000, null, r, "higher"));
            w2.add(line("W2", "c", "epoll", 500, null, null, "req_per_cpu_s", 100_000, null, r, "higher"));
            // Not the bar's: one connection, and the two-loop rows.
            w2.add(line("W2", "c", "epoll", 1, null, null, "req_per_cpu_s", 100_000, null, r, "higher"));
            w2.add(line("W2", "pollkit", "epoll", 1, null, null, "req_per_cpu_s", 50_000, null, r, "higher"));
            w2.add(line("W2", "c", "epoll", 50, null, Runner.W2_LOOPS_CASE, "req_per_cpu_s", 100_000, null, r, "higher"));
            w2.add(line("W2", "pollkit", "epoll", 50, null, Runner.W2_LOOPS_CASE, "req_per_cpu_s", 50_000, null, r, "higher"));
            w1.add(line("W1", "nio", "epoll", 10, 1, null, "ns_per_round", 120, 64.0, r, "lower"));
            w2.add(line("W2", "pollkit", "epoll", 500, null, null, "req_per_cpu_s", new double[] {80_000, 96_000, 110_000}[r - 1],
                    null, r, "higher"));
            // W1 epoll: 1.04 of C, met; but it allocated an object per operation in every round.
            w1.add(line("W1", "c", "epoll", 10, 1, null, "ns_per_round", 100, null, r, "lower"));
            w1.add(line("W1", "ffm", "epoll", 10, 1, null, "ns_per_round", 104, 40.0 + r, r, "lower"));
            // W4 getpid: ffm over jni 1.00, 1.11, 0.91: met by the median. jni's allocation in one round is JMH's.
            w4.add(line("W4", "ffm", null, null, null, "getpid", "ns_per_call", 100, 0.0, r, "lower"));
            w4.add(line("W4", "jni", null, null, null, "getpid", "ns_per_call", jni[r - 1], r == 2 ? 300.0 : 0.1, r, "lower"));
        }
        Files.writeString(dir.resolve("w1.jsonl"), String.join("\n", w1) + "\n");
        Files.writeString(dir.resolve("w2.jsonl"), String.join("\n", w2) + "\n");
        Files.writeString(dir.resolve("w4.jsonl"), String.join("\n", w4) + "\n");
        Files.writeString(dir.resolve("w3.jsonl"), String.join("\n",
                line("W3", "c", "epoll", 1000, null, "quiet", "dev_p99_us", 1000, null, null, "lower"),
                line("W3", "pollkit", "epoll", 1000, null, "quiet", "dev_p99_us", 3000, null, null, "lower"),
                line("W3", "c", "epoll", 1000, null, "quiet", "spread_p99_us", 1000, null, null, "lower"),
                line("W3", "pollkit", "epoll", 1000, null, "quiet", "spread_p99_us", 1200, null, null, "lower"),
                // Not the bar's N: left out.
                line("W3", "c", "epoll", 100, null, "quiet", "dev_p99_us", 1000, null, null, "lower"),
                line("W3", "pollkit", "epoll", 100, null, "quiet", "dev_p99_us", 9000, null, null, "lower")) + "\n");

        Report.generate(dir);

        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.indexOf("## Targets at a glance") < md.indexOf("## Ratios over interleaved rounds"), md);
        assertTrue(md.contains("| W2 pollkit ÷ c, req/CPU-s (epoll, c=50, 500) | ≥ 0.97 | 2 | 0 | 2 | 1 | epoll c=50 0.910; epoll c=500 0.960* |"), md);
        assertTrue(md.contains("| W1 ffm ÷ c, ns/round (epoll, kqueue) | ≤ 1.05 | 1 | 1 | 0 | 0 |  |"), md);
        assertTrue(md.contains("| W4 ffm ÷ jni, ns/call | ≤ 1.00 | 1 | 1 | 0 | 0 |  |"), md);
        assertTrue(md.contains("| W3 pollkit ÷ c, p99 deviation and spread, N=1000 (epoll), quiet and disturbed | ≤ 1.50 | 2 | 1 | 1 "
                + "| one run | quiet deviation 3.00 |"), md);
        assertTrue(md.contains("| W1, W4: every pollkit benchmark (not `nio`) allocates nothing per operation | < 16 B/op | 3 | 2 | 1 | best round "
                + "| epoll N=10 K=1 ffm 41.0 B/op |"), md);
        String summary = md.substring(md.indexOf("## Targets at a glance"), md.indexOf("## Ratios over interleaved rounds"));
        assertFalse(summary.contains("9.00"), summary);   // W3 at N=100 is not the bar's
        assertFalse(summary.contains("0.500"), summary);  // nor W2's c=1 and loops=2 rows
        assertFalse(summary.contains("64.0"), summary);  // nor nio, which allocates by design
    }

    @Test
    void anAllocationOfAForkTooShortForC2IsListedNotCounted(@TempDir Path dir) throws Exception {
        // 5 s of warm-up and C2 at 5000 invocations: a round of 2 ms makes 2500 warm-up rounds, one of 100 us 50000.
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"" + TargetSummary.WARMUP_MS + "\":5000,\""
                + TargetSummary.C2_THRESHOLD + "\":5000}\n");
        List<String> w1 = new ArrayList<>();
        for (int r = 1; r <= 3; r++) {
            w1.add(line("W1", "c", "poll", 9000, 1, null, "ns_per_round", 2_000_000, null, r, "lower"));
            w1.add(line("W1", "ffm", "poll", 9000, 1, null, "ns_per_round", 2_000_000, 140.0, r, "lower"));
            w1.add(line("W1", "c", "epoll", 9000, 1, null, "ns_per_round", 100_000, null, r, "lower"));
            w1.add(line("W1", "ffm", "epoll", 9000, 1, null, "ns_per_round", 100_000, 40.0, r, "lower"));
            w1.add(line("W1", "ffm", "epoll", 10, 1, null, "ns_per_round", 1_000, 0.1, r, "lower"));
        }
        Files.writeString(dir.resolve("w1.jsonl"), String.join("\n", w1) + "\n");

        Report.generate(dir);

        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| W1, W4: every pollkit benchmark (not `nio`) allocates nothing per operation | < 16 B/op | 2 | 1 | 1 "
                + "| best round | epoll N=9000 K=1 ffm 40.0 B/op. Not counted, their warm-up ran fewer rounds than C2's "
                + "invocation threshold (5000) and their once-per-round calls were still C1 code, without escape analysis: "
                + "poll N=9000 K=1 ffm 140.0 B/op (2500 rounds) |"), md);
    }
}
