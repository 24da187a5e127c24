package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What W2 reads from wrk and /proc, and how W3 aligns and measures ticks. */
class W2W3Test {
    private static final String WRK = """
            Running 5s test @ http://127.0.0.1:40123/
              1 threads and 50 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   523.00us    1.20ms  57.30ms   98.00%
                Req/Sec    60.12k     3.01k   65.00k    80.00%
              Latency Distribution
                 50%  330.00us
                 75%  412.00us
                 90%    1.10ms
                 99%    5.59ms
              300123 requests in 5.00s, 24.32MB read
              Socket errors: connect 0, read 2, write 0, timeout 3
              Non-2xx or 3xx responses: 4
            Requests/sec:  60024.60
            Transfer/sec:      4.86MB
            """;

    @Test
    void wrkOutput() {
        W2Http.Wrk w = W2Http.parse(WRK);
        assertEquals(60024.60, w.reqPerS(), 1e-9);
        assertEquals(300123, w.requests());
        assertEquals(330.0, w.p50Us(), 1e-9);
        assertEquals(5590.0, w.p99Us(), 1e-9);
        assertEquals(5, w.socketErrors());
        assertEquals(4, w.non2xx());
        W2Http.Wrk plain = W2Http.parse(WRK.replace("     50%  330.00us\n", "").replace("99%    5.59ms", "99%    1.50s")
                .replace("  Socket errors: connect 0, read 2, write 0, timeout 3\n", ""));
        assertEquals(1.5e6, plain.p99Us(), 1e-6);
        assertEquals(0, plain.socketErrors());
        assertEquals(Double.NaN, plain.p50Us());
    }

    @Test
    void procStatCpuTicks() {
        // pid (comm with spaces) state ppid ... utime=14 stime=15
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 25 0 100 0 0";
        assertEquals(1234 + 567, ServerProcess.cpuTicks(stat));
    }

    @Test
    void w2FiguresAreMediansOverRuns() {
        Case c = Case.server("W2", "pollkit", "epoll", null, 50, java.util.List.of("x"));
        Result r = W2Http.figure(c, "req_per_s", "req/s", "higher", new double[] {3, 1, 2, Double.NaN}, "src");
        assertEquals(2.0, r.median());
        assertEquals(1.0, r.min());
        assertEquals(3.0, r.max());
        assertEquals(3, r.samples());
        assertEquals(2.5, W2Http.figure(c, "m", "u", "lower", new double[] {4, 1, 2, 3}, "src").median());
    }

    private static final long MS = 1_000_000L;

    @Test
    void ticksAreAlignedByTheBurstOfEachClientsFirstTick() {
        // Three clients; client 2 connected one burst late. Bursts at 1000 + 100 ms * b; client i gets each
        // burst i * 0.2 ms after the first, and burst 4 comes 3 ms late for everybody.
        long[][] times = new long[3][8];
        int[] firstBurst = {0, 0, 1};
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 8; k++) {
                int b = firstBurst[i] + k;
                times[i][k] = 1000 * MS + b * 100 * MS + i * 200_000L + (b == 4 ? 3 * MS : 0);
            }
        }
        assertArrayEquals(firstBurst, W3Tick.firstBursts(times, 100 * MS));

        W3Tick.Stats s = W3Tick.analyse(times, firstBurst, 2, 5, 100 * MS);   // bursts 2..6
        assertEquals(5, s.spreadUs().length);
        for (double sp : s.spreadUs()) assertEquals(400.0, sp, 1e-9);
        assertEquals(3 * 4, s.deviationUs().length);
        double[] dev = s.deviationUs().clone();
        Arrays.sort(dev);
        // burst 4 is 3 ms late: the intervals 3->4 and 4->5 are off by 3 ms for each client, the others exact
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 3000, 3000, 3000, 3000, 3000, 3000}, dev, 1e-9);
        assertEquals(3000.0, W3Tick.percentile(dev.clone(), 99));
        assertEquals(0.0, W3Tick.percentile(dev.clone(), 50));
        assertEquals(3000.0, W3Tick.percentile(dev.clone(), 100));
    }

    @Test
    void aSkippedBurstCountsAsAGapOfTwoIntervals() {
        long[][] times = {{0}, {1 * MS}, {250 * MS}};   // the third client's first tick is two bursts later
        assertArrayEquals(new int[] {0, 0, 2}, W3Tick.firstBursts(times, 100 * MS));
    }

    @Test
    void nearestRankPercentiles() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[i] = 100 - i;   // 100..1
        assertEquals(50.0, W3Tick.percentile(v.clone(), 50));
        assertEquals(99.0, W3Tick.percentile(v.clone(), 99));
        assertEquals(100.0, W3Tick.percentile(v.clone(), 100));
        assertEquals(7.0, W3Tick.percentile(new double[] {7}, 99));
    }
}
