package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The arithmetic of the ratios over rounds: pairing by round, median, spread, the verdict, the pairs and the targets. */
class RatiosTest {
    @Test
    void median() {
        assertEquals(3.0, Ratios.median(new double[] {5, 1, 3}));
        assertEquals(2.5, Ratios.median(new double[] {4, 1, 3, 2}));
        assertEquals(7.0, Ratios.median(new double[] {7}));
        assertTrue(Double.isNaN(Ratios.median(new double[0])));
        double[] v = {3, 1, 2};
        Ratios.median(v);
        assertArrayEquals(new double[] {3, 1, 2}, v);   // not sorted in place
    }

    @Test
    void verdict() {
        // median 1.12, spread 0.08: the rounds agree it is slower
        assertEquals(Ratios.DIFFERS, Ratios.verdict(new double[] {1.10, 1.12, 1.18}));
        // median 1.04, spread 0.10: the rounds disagree by more than the difference
        assertEquals(Ratios.NO_DIFFERENCE, Ratios.verdict(new double[] {0.98, 1.04, 1.08}));
        // a spread equal to the difference shows nothing either
        assertEquals(Ratios.NO_DIFFERENCE, Ratios.verdict(new double[] {1.25, 1.5, 1.75}));
        // faster: below 1 by more than the spread
        assertEquals(Ratios.DIFFERS, Ratios.verdict(new double[] {0.80, 0.82, 0.85, 0.90}));
        assertEquals(Ratios.ONE_ROUND, Ratios.verdict(new double[] {1.5}));
    }

    @Test
    void perRoundRatiosNotRatiosOfMedians() {
        // C drifts from 100 to 200 over the rounds, ffm follows at 1.1x: the per-round ratios see 1.1 each time.
        List<Result> rs = new ArrayList<>();
        double[] c = {100, 200, 150};
        for (int r = 0; r < 3; r++) {
            rs.add(fig("W1", "c", "epoll", r + 1, c[r]));
            rs.add(fig("W1", "ffm", "epoll", r + 1, c[r] * 1.1));
        }
        rs.add(fig("W1", "ffm", "epoll", 4, 999));   // a round without C's figure pairs with nothing
        List<Ratios.Ratio> ratios = Ratios.compute(rs);
        assertEquals(1, ratios.size());
        Ratios.Ratio x = ratios.get(0);
        assertEquals("ffm", x.impl());
        assertEquals("c", x.vs());
        assertEquals(List.of(1, 2, 3), x.rounds());
        assertEquals(1.1, x.median(), 1e-12);
        assertEquals(0.0, x.spread(), 1e-12);
        assertEquals(Ratios.DIFFERS, x.verdict());
        assertEquals("lower", x.better());
    }

    @Test
    void spreadAndTarget() {
        List<Result> rs = new ArrayList<>();
        double[] ffm = {104, 99, 101, 110, 102};
        for (int r = 0; r < 5; r++) {
            rs.add(fig("W1", "c", "epoll", r + 1, 100));
            rs.add(fig("W1", "ffm", "epoll", r + 1, ffm[r]));
        }
        Ratios.Ratio x = Ratios.compute(rs).get(0);
        assertEquals(1.02, x.median(), 1e-12);
        assertEquals(0.99, x.min(), 1e-12);
        assertEquals(1.10, x.max(), 1e-12);
        assertEquals(Ratios.NO_DIFFERENCE, x.verdict());
        Ratios.Target t = x.target();
        assertEquals("≤ 1.05", t.describe());
        assertTrue(t.met(x.median()));
        assertEquals(true, x.toJson().get("target_met"));
        assertEquals(List.of(1.04, 0.99, 1.01, 1.10, 1.02), x.toJson().get("ratios"));
    }

    @Test
    void baselinesAndExtraPairs() {
        List<String> pairs = Ratios.pairs(List.of("c", "c-mt", "ffm", "jni"), "W1").stream()
                .map(p -> p.impl() + "/" + p.vs()).toList();
        assertEquals(List.of("c-mt/c", "ffm/c", "jni/c", "ffm/c-mt", "jni/c-mt"), pairs);
        pairs = Ratios.pairs(List.of("c", "ffm", "ffm-critical", "ffm-unchecked", "jni"), "W4").stream()
                .map(p -> p.impl() + "/" + p.vs()).toList();
        assertEquals(List.of("ffm/c", "ffm-critical/c", "ffm-unchecked/c", "jni/c", "ffm/jni", "ffm/ffm-unchecked"), pairs);
        assertEquals(List.of("ffm/jni"), Ratios.pairs(List.of("ffm", "jni"), "W4").stream().map(p -> p.impl() + "/" + p.vs()).toList());
        assertEquals(List.of(), Ratios.pairs(List.of("ffm", "jni"), "W1"));
        // W2's epoll rounds: io_uring readiness against C on epoll, and against pollkit's own epoll server.
        pairs = Ratios.pairs(List.of("c", "pollkit", Runner.W2_URING_READINESS), "W2").stream()
                .map(p -> p.impl() + "/" + p.vs()).toList();
        assertEquals(List.of("pollkit/c", "pollkit-io_uring/c", "pollkit-io_uring/pollkit"), pairs);
    }

    @Test
    void w2RatiosPerMetricAndCase() {
        List<Result> rs = new ArrayList<>();
        for (int r = 1; r <= 3; r++) {
            rs.add(w2("c", r, "req_per_cpu_s", 100_000, "higher"));
            rs.add(w2("pollkit", r, "req_per_cpu_s", 90_000 + r * 1000, "higher"));
            rs.add(w2("c", r, "p99_us", 500, "lower"));
            rs.add(w2("pollkit", r, "p99_us", 1000 * r, "lower"));
            rs.add(w2("c", r, "req_per_s", 1, "higher"));   // not a ratio metric
            rs.add(w2("pollkit", r, "req_per_s", 1, "higher"));
        }
        List<Ratios.Ratio> ratios = Ratios.compute(rs);
        assertEquals(2, ratios.size());
        Ratios.Ratio perCpu = ratios.get(0), p99 = ratios.get(1);
        assertEquals("req_per_cpu_s", perCpu.metric());
        assertEquals("higher", perCpu.better());
        assertEquals(0.92, perCpu.median(), 1e-12);
        assertEquals(Ratios.DIFFERS, perCpu.verdict());
        assertTrue(!perCpu.target().met(perCpu.median()));   // the bar is 0.97
        assertEquals(4.0, p99.median(), 1e-12);
        assertEquals(4.0, p99.spread(), 1e-12);   // 2 .. 6
        assertEquals(Ratios.NO_DIFFERENCE, p99.verdict());
        assertEquals("≤ 1.50", p99.target().describe());
        assertEquals("epoll c=50", Ratios.caseLabel("W2", "epoll", null, 50, null));
        assertEquals("getpid", Ratios.caseLabel("W4", null, "getpid", null, null));
        assertEquals("poll N=1000 K=10", Ratios.caseLabel("W1", "poll", null, 1000, 10));
    }

    @Test
    void figuresWithoutRoundsGiveNoRatio() {
        List<Result> rs = List.of(
                new Result("W1", "c", "epoll", 10, 1, null, "ns_per_round", "ns/round", 1.0, 1.0, 1.0, 1, null, "lower", "t", Result.OK, null),
                new Result("W1", "ffm", "epoll", 10, 1, null, "ns_per_round", "ns/round", 2.0, 2.0, 2.0, 1, null, "lower", "t", Result.OK, null));
        assertEquals(List.of(), Ratios.compute(rs));
        assertNull(Ratios.find(Ratios.compute(rs), rs.get(1), "c"));
    }

    private static Result fig(String w, String impl, String backend, int round, double median) {
        return new Result(w, impl, backend, 1000, 1, null, "ns_per_round", "ns/round", median, median, median, 3, null,
                "lower", "test", Result.OK, null, round);
    }

    private static Result w2(String impl, int round, String metric, double v, String better) {
        return new Result("W2", impl, "epoll", 50, null, null, metric, "x", v, v, v, 1, null, better, "test", Result.OK, null, round);
    }
}
