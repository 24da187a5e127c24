package io.pollkit.loop;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * One thread's one-shot and fixed-rate timers, on {@code System.nanoTime()}: the timer heap of an
 * {@link EventLoop}, and of any other loop that waits on its own (an io_uring completion loop waits for the time
 * {@link #millisToNext()} says, then calls {@link #runDue()}). Not thread-safe: the owning loop's thread only.
 */
public final class Timers {
    /** The longest timer delay or period: about 146 years, so that deadlines never overflow. */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 2;

    private final TimerHeap heap = new TimerHeap();
    private final PrintStream log;
    private long seq;

    /** {@code log} gets one line for a task that threw (the others still run). */
    public Timers(PrintStream log) {
        this.log = log;
    }

    /** Runs {@code task} once, {@code delayMillis} from now. */
    public Timer schedule(long delayMillis, Runnable task) {
        return add(new Timer(this, task, System.nanoTime() + delayNanos(delayMillis), 0));
    }

    /** Runs {@code task} every {@code periodMillis}, the first time {@code initialDelayMillis} from now. */
    public Timer scheduleAtFixedRate(long initialDelayMillis, long periodMillis, Runnable task) {
        if (periodMillis <= 0) throw new IllegalArgumentException("period must be positive: " + periodMillis);
        return add(new Timer(this, task, System.nanoTime() + delayNanos(initialDelayMillis), delayNanos(periodMillis)));
    }

    /** A delay in nanoseconds, 0 for a negative one, at most {@link #MAX_DELAY_NANOS}. */
    private static long delayNanos(long millis) {
        return Math.min(TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis)), MAX_DELAY_NANOS);
    }

    private Timer add(Timer t) {
        t.seq = seq++;
        heap.add(t);
        return t;
    }

    void cancel(Timer t) {
        heap.remove(t);
    }

    /** Runs every timer that is due; a fixed-rate one skips the periods it missed. */
    public void runDue() {
        long now = System.nanoTime();
        for (Timer t = heap.peek(); t != null && t.deadline - now <= 0; t = heap.peek()) {
            heap.remove(t);
            if (t.periodNanos > 0) {
                long missed = (now - t.deadline) / t.periodNanos;   // skip what the loop could not run in time
                t.deadline += (missed + 1) * t.periodNanos;
                add(t);
            }
            try {
                t.task.run();
            } catch (RuntimeException e) {
                log.println("task failed: " + e);
            }
        }
    }

    /** -1 with no timers, 0 when one is due, else the milliseconds to the next deadline, rounded up. */
    public long millisToNext() {
        Timer next = heap.peek();
        if (next == null) return -1;
        long nanos = next.deadline - System.nanoTime();
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }
}
