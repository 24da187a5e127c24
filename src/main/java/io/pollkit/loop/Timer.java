package io.pollkit.loop;

/**
 * A one-shot or fixed-rate timer of an {@link EventLoop} (or of a {@link Timers} of another loop); {@link #cancel()}
 * it from the loop's thread.
 * Fixed-rate deadlines advance by whole periods from the first one, so a late run never shifts the
 * schedule; periods missed while the loop was busy are skipped, not run in a burst.
 */
public final class Timer {
    final Runnable task;
    final long periodNanos;   // 0: one-shot
    long deadline;            // System.nanoTime() at which it is due
    long seq;                 // ties broken by scheduling order
    int heapIndex = -1;       // position in the loop's heap, -1 when not scheduled
    private final Timers owner;

    Timer(Timers owner, Runnable task, long deadline, long periodNanos) {
        this.owner = owner;
        this.task = task;
        this.deadline = deadline;
        this.periodNanos = periodNanos;
    }

    /** Stops the timer; a no-op when it already ran (one-shot) or was cancelled. */
    public void cancel() {
        owner.cancel(this);
    }

    /** Whether it will still run. */
    public boolean isScheduled() {
        return heapIndex >= 0;
    }

    boolean before(Timer o) {
        return deadline != o.deadline ? deadline - o.deadline < 0 : seq < o.seq;
    }
}
