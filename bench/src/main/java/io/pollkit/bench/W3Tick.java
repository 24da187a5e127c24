package io.pollkit.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * W3, tick fan-out, the client side: N connections to a tick server read by one thread through a java.nio
 * {@link Selector}; every {@code tick} line is timestamped with {@link System#nanoTime()} when the read that
 * brought it returns. Optionally two disturbing clients: one that writes lines as fast as it can (its own
 * thread, blocking writes) and one that never reads (SO_RCVBUF 1024).
 *
 * <p>What arrives while the clients connect is read late (one thread connects, then reads), so it is
 * dropped: after the last connect every connection is drained, and only ticks read from then on count.
 * Aligning the ticks: a client's k-th counted tick is the server's tick (burst) {@code first + k}, where
 * {@code first} is the burst of its first tick: the first ticks of all clients are grouped into bursts
 * wherever two successive arrival times are more than half an interval apart. (Ticks are never sent in a
 * burst for one client and skipped for another, so the per-client sequence stays aligned even when a
 * reader falls behind and reads two ticks at once.) The first {@code warm} bursts after the last client's
 * first tick are skipped; then {@code ticks} bursts are measured: per burst the spread (last arrival minus
 * first), per client and pair of successive bursts the deviation |interval - nominal|.
 */
final class W3Tick {
    private W3Tick() {}

    static final byte[] TICK = "tick\n".getBytes(StandardCharsets.US_ASCII);
    /** What the flooding client sends, line after line (32 bytes with the newline). */
    static final byte[] FLOOD_LINE = "flood 0123456789abcdefghijklmnop\n".getBytes(StandardCharsets.US_ASCII);

    /** The figures of one run, in microseconds. */
    record Stats(double[] deviationUs, double[] spreadUs, long floodBytes, double floodSeconds) {}

    /**
     * Connects, measures and disconnects; fails with a message when the server drops a client, sends
     * something else than ticks, or the ticks do not come before the deadline.
     */
    static Stats run(String host, int port, int n, int ticks, int warm, long intervalMillis, boolean disturbed)
            throws Runner.CaseFailure {
        long interval = intervalMillis * 1_000_000L;
        InetSocketAddress addr = new InetSocketAddress(host, port);
        SocketChannel[] ch = new SocketChannel[n];
        SocketChannel flooder = null, nonReader = null;
        Thread floodThread = null;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flooded = new AtomicLong(), floodStart = new AtomicLong();
        try (Selector sel = Selector.open()) {
            Reader r = new Reader(n, warm + ticks + 64);
            for (int i = 0; i < n; i++) {
                ch[i] = SocketChannel.open(addr);
                ch[i].configureBlocking(false);
                ch[i].register(sel, SelectionKey.OP_READ, i);
                if (i % 32 == 31) r.selectNow(sel);   // not recording yet: keeps the early clients' buffers short
            }
            if (disturbed) {
                nonReader = SocketChannel.open();
                nonReader.setOption(StandardSocketOptions.SO_RCVBUF, 1024);
                nonReader.connect(addr);
                flooder = SocketChannel.open(addr);
                SocketChannel f = flooder;
                long floodDeadline = System.nanoTime() + 10 * 60 * 1_000_000_000L;   // bounded whatever happens
                floodThread = new Thread(() -> flood(f, stop, flooded, floodStart, floodDeadline), "w3-flooder");
                floodThread.setDaemon(true);
                floodThread.start();
            }

            // Everything that came while connecting was read late: drop it, then record from fresh reads on.
            for (int i = 0; i < n; i++) r.drain(ch[i], i);
            r.recording = true;
            // Phase 1: every client's first (fresh) tick.
            long phase1 = System.nanoTime() + 10_000_000_000L + n * 10_000_000L;
            while (r.withFirst < n) {
                if (System.nanoTime() - phase1 > 0) {
                    throw new Runner.CaseFailure("only " + r.withFirst + " of " + n + " clients got a tick within "
                            + (10 + n / 100) + " s");
                }
                r.select(sel, 50);
            }
            int[] first = firstBursts(r.times, interval);
            int b0 = Arrays.stream(first).max().orElse(0) + warm;
            int[] need = new int[n];
            for (int i = 0; i < n; i++) need[i] = b0 + ticks - first[i];
            if (Arrays.stream(need).max().orElse(0) > r.times[0].length) {
                throw new Runner.CaseFailure("the clients' first ticks span " + (b0 - warm + 1) + " intervals");
            }
            // Phase 2: every client's ticks up to the last measured burst.
            long phase2 = System.nanoTime() + (warm + ticks + 5) * interval * 2 + 10_000_000_000L;
            for (;;) {
                boolean done = true;
                for (int i = 0; i < n && done; i++) done = r.count[i] >= need[i];
                if (done) break;
                if (System.nanoTime() - phase2 > 0) {
                    int behind = 0;
                    for (int i = 0; i < n; i++) if (r.count[i] < need[i]) behind++;
                    throw new Runner.CaseFailure(behind + " of " + n + " clients still lacked ticks after "
                            + (phase2 - phase1) / 1_000_000_000L + " s");
                }
                r.select(sel, 50);
            }
            long floodBytes = flooded.get(), floodNanos = System.nanoTime() - floodStart.get();
            stop.set(true);
            Stats s = analyse(r.times, first, b0, ticks, interval);
            return new Stats(s.deviationUs(), s.spreadUs(), floodBytes, floodStart.get() == 0 ? 0 : floodNanos / 1e9);
        } catch (IOException e) {
            throw new Runner.CaseFailure("client: " + e);
        } finally {
            stop.set(true);
            for (SocketChannel c : ch) closeQuietly(c);
            closeQuietly(flooder);   // wakes a blocked write
            closeQuietly(nonReader);
            if (floodThread != null) {
                try {
                    floodThread.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Reads every ready connection, timestamps and counts its tick lines. */
    private static final class Reader {
        final long[][] times;
        final int[] count, pos;
        int withFirst;
        final ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        Runner.CaseFailure failure;
        /** Whether tick lines are counted and timestamped; before, they are only parsed. */
        boolean recording;

        Reader(int n, int capacity) {
            times = new long[n][capacity];
            count = new int[n];
            pos = new int[n];
        }

        void select(Selector sel, long timeoutMillis) throws IOException, Runner.CaseFailure {
            sel.select(this::ready, timeoutMillis);
            if (failure != null) throw failure;
        }

        void selectNow(Selector sel) throws IOException, Runner.CaseFailure {
            sel.selectNow(this::ready);
            if (failure != null) throw failure;
        }

        /** Reads client i until nothing is left (not recording: the bytes are parsed and dropped). */
        void drain(SocketChannel c, int i) throws Runner.CaseFailure {
            read(c, i, 1024, true);
            if (failure != null) throw failure;
        }

        private void ready(SelectionKey key) {
            if (failure != null) return;
            read((SocketChannel) key.channel(), (Integer) key.attachment(), 16, false);
        }

        /** At most maxReads reads; a short one ends them unless {@code untilEmpty}, then only an empty one does. */
        private void read(SocketChannel c, int i, int maxReads, boolean untilEmpty) {
            try {
                for (int reads = 0; reads < maxReads; reads++) {
                    buf.clear();
                    int got = c.read(buf);
                    long now = System.nanoTime();
                    if (got == 0) return;
                    if (got < 0) {
                        failure = new Runner.CaseFailure("the server closed client " + i + " after " + count[i] + " ticks");
                        return;
                    }
                    for (int j = 0; j < got; j++) {
                        byte b = buf.get(j);
                        if (b != TICK[pos[i]]) {
                            failure = new Runner.CaseFailure("client " + i + " got something else than tick lines (byte "
                                    + (b & 0xff) + ")");
                            return;
                        }
                        if (++pos[i] == TICK.length) {
                            pos[i] = 0;
                            if (!recording) continue;
                            if (count[i] == 0) withFirst++;
                            if (count[i] < times[i].length) times[i][count[i]] = now;
                            count[i]++;
                        }
                    }
                    if (got < buf.capacity() && !untilEmpty) return;
                }
            } catch (IOException e) {
                failure = new Runner.CaseFailure("client " + i + ": " + e);
            }
        }
    }

    /** The burst of each client's first tick: first ticks more than half an interval apart start a new burst. */
    static int[] firstBursts(long[][] times, long interval) {
        int n = times.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(times[a][0], times[b][0]));
        int[] first = new int[n];
        int burst = 0;
        for (int j = 0; j < n; j++) {
            if (j > 0) {
                long gap = times[order[j]][0] - times[order[j - 1]][0];
                if (gap > interval / 2) burst += (int) Math.max(1, Math.round((double) gap / interval));
            }
            first[order[j]] = burst;
        }
        return first;
    }

    /**
     * The figures of bursts {@code b0 .. b0+ticks-1}: client i's burst b is its tick {@code b - first[i]}.
     * Spread: one sample per burst; deviation: one per client and pair of successive bursts.
     */
    static Stats analyse(long[][] times, int[] first, int b0, int ticks, long interval) {
        int n = times.length;
        double[] spread = new double[ticks];
        double[] dev = new double[n * Math.max(0, ticks - 1)];
        int d = 0;
        for (int b = b0; b < b0 + ticks; b++) {
            long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                long t = times[i][b - first[i]];
                lo = Math.min(lo, t);
                hi = Math.max(hi, t);
                if (b > b0) dev[d++] = Math.abs(t - times[i][b - 1 - first[i]] - interval) / 1e3;
            }
            spread[b - b0] = (hi - lo) / 1e3;
        }
        return new Stats(dev, spread, 0, 0);
    }

    /** The nearest-rank percentile {@code p} (0..100] of {@code v}, which it sorts. */
    static double percentile(double[] v, double p) {
        if (v.length == 0) return Double.NaN;
        Arrays.sort(v);
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.clamp(rank - 1, 0, v.length - 1)];
    }

    private static void flood(SocketChannel c, AtomicBoolean stop, AtomicLong flooded, AtomicLong start, long deadline) {
        ByteBuffer lines = ByteBuffer.allocateDirect(FLOOD_LINE.length * 2048);
        while (lines.remaining() >= FLOOD_LINE.length) lines.put(FLOOD_LINE);
        lines.flip();
        start.set(System.nanoTime());
        try {
            for (long writes = 0; writes < 100_000_000L && !stop.get() && System.nanoTime() - deadline < 0; writes++) {
                lines.rewind();
                while (lines.hasRemaining()) flooded.addAndGet(c.write(lines));
            }
        } catch (ClosedChannelException e) {
            // closed by the measuring thread: the run is over
        } catch (IOException e) {
            // the server dropped the flooder; the figures of the other clients still count
        }
    }

    private static void closeQuietly(SocketChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** The figures of a case in the common shape (one run: median = min = max). */
    static List<Result> results(Case c, Stats s, String source) {
        List<Result> r = new ArrayList<>();
        double[] dev = s.deviationUs().clone(), spread = s.spreadUs().clone();
        add(r, c, "dev_p50_us", percentile(dev, 50), dev.length, source);
        add(r, c, "dev_p99_us", percentile(dev, 99), dev.length, source);
        add(r, c, "dev_max_us", percentile(dev, 100), dev.length, source);
        add(r, c, "spread_p50_us", percentile(spread, 50), spread.length, source);
        add(r, c, "spread_p99_us", percentile(spread, 99), spread.length, source);
        add(r, c, "spread_max_us", percentile(spread, 100), spread.length, source);
        if (s.floodSeconds() > 0) {
            double lines = s.floodBytes() / (double) FLOOD_LINE.length / s.floodSeconds();
            r.add(new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), "flood_lines_per_s", "lines/s",
                    lines, lines, lines, 1, null, "higher", source, Result.OK, null));
        }
        return r;
    }

    private static void add(List<Result> r, Case c, String metric, double v, int samples, String source) {
        r.add(new Result(c.workload(), c.impl(), c.backend(), c.n(), c.k(), c.kase(), metric, "us", v, v, v, samples,
                null, "lower", source, Result.OK, null));
    }

    static String summary(Stats s) {
        double[] dev = s.deviationUs().clone(), spread = s.spreadUs().clone();
        return String.format(Locale.ROOT, "deviation p50/p99/max %s/%s/%s us, spread p50/p99/max %s/%s/%s us%s",
                Report.fmt(percentile(dev, 50)), Report.fmt(percentile(dev, 99)), Report.fmt(percentile(dev, 100)),
                Report.fmt(percentile(spread, 50)), Report.fmt(percentile(spread, 99)), Report.fmt(percentile(spread, 100)),
                s.floodSeconds() > 0 ? String.format(Locale.ROOT, ", flood %s lines/s",
                        Report.fmt(s.floodBytes() / (double) FLOOD_LINE.length / s.floodSeconds())) : "");
    }
}
