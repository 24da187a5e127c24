package io.pollkit.poller;

/**
 * A reusable buffer of readiness events that a {@link Poller} fills: for event {@code i < }{@link #size()},
 * the {@link #token(int)} given at registration and the {@link #ready(int)} bits ({@link Poller#READABLE},
 * {@link Poller#WRITABLE}, {@link Poller#HANGUP}, {@link Poller#ERROR}). Allocated once, reused for every poll.
 */
public final class Events {
    private final long[] tokens;
    private final int[] ready;
    private int size;

    public Events(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        tokens = new long[capacity];
        ready = new int[capacity];
    }

    public int capacity() {
        return tokens.length;
    }

    public int size() {
        return size;
    }

    public long token(int i) {
        return tokens[i];
    }

    public int ready(int i) {
        return ready[i];
    }

    /** For backends: empties the buffer before a poll. */
    void clear() {
        size = 0;
    }

    /** For backends: appends an event; false when the buffer is full. */
    boolean add(long token, int readyBits) {
        if (size == tokens.length) return false;
        tokens[size] = token;
        ready[size] = readyBits;
        size++;
        return true;
    }

    /** A readable rendering of ready bits, for logs and test messages. */
    public static String describe(int readyBits) {
        StringBuilder b = new StringBuilder();
        if ((readyBits & Poller.READABLE) != 0) b.append("READABLE|");
        if ((readyBits & Poller.WRITABLE) != 0) b.append("WRITABLE|");
        if ((readyBits & Poller.HANGUP) != 0) b.append("HANGUP|");
        if ((readyBits & Poller.ERROR) != 0) b.append("ERROR|");
        return b.isEmpty() ? "none" : b.substring(0, b.length() - 1);
    }
}
