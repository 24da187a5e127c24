package io.pollkit.bench;

/**
 * W1's write schedule, exactly as {@code native/baselines/w1-dispatch.c} draws it (its README has the
 * test vectors): a uint32 xorshift32 generator seeded with 2463534242 and never reset, not between
 * rounds and not between warm-up and measurement; each round picks K distinct pairs by drawing
 * {@code next() % N} and skipping a pair already picked in that round (the draw is still consumed).
 *
 * <p>Allocation-free: {@link #beginRound()}, then {@link #pick()} K times, each pick written at once.
 */
final class Schedule {
    /** The seed of w1-dispatch.c. */
    static final int SEED = (int) 2463534242L;

    private final int n;
    private final long[] pickedIn;   // pickedIn[i]: the round that last picked pair i (0: never)
    private int x = SEED;            // the xorshift32 state, as a uint32 in an int
    private long round;              // rounds begun so far

    Schedule(int n) {
        if (n < 1) throw new IllegalArgumentException("n must be at least 1: " + n);
        this.n = n;
        this.pickedIn = new long[n];
    }

    /** xorshift32: the next uint32 draw, in an int. */
    int next() {
        int v = x;
        v ^= v << 13;
        v ^= v >>> 17;
        v ^= v << 5;
        return x = v;
    }

    /** Starts a round; returns its number (1 for the first). */
    long beginRound() {
        return ++round;
    }

    /** The round in progress. */
    long round() {
        return round;
    }

    /**
     * The next pair of this round: a pair not yet picked in it. The caller picks at most N per round, so
     * an unpicked pair exists and xorshift32 (which visits every non-zero uint32) reaches it.
     */
    int pick() {
        for (;;) {
            int i = Integer.remainderUnsigned(next(), n);
            if (pickedIn[i] != round) {
                pickedIn[i] = round;
                return i;
            }
        }
    }
}
