package io.pollkit.server;

import io.pollkit.loop.Timer;

/**
 * One connection's deadline, checked lazily: moving it on activity only stores a time, so a read costs a
 * {@code System.nanoTime()} and no allocation or timer-heap work. One loop timer stands for it, armed for the
 * earliest time it could be due; when the timer fires and the deadline has moved later meanwhile, it re-arms
 * for the rest (one new timer per timeout period at most, not one per read). Only a deadline moved earlier than
 * the armed timer re-arms at once. Loop thread only.
 */
final class Deadline implements Runnable {
    /** Where its timer is scheduled: the loop's timers ({@code EventLoop::schedule}, {@code Timers::schedule}). */
    @FunctionalInterface
    interface Scheduler {
        Timer schedule(long delayMillis, Runnable task);
    }

    private final Scheduler loop;
    private final Runnable expired;
    private long at;           // System.nanoTime() at which it is due, when set
    private boolean set;
    private Timer timer;       // null when no timer is armed
    private long timerAt;      // the nanoTime the armed timer stands for

    /** {@code expired} runs on the loop's thread once a deadline that was set has passed. */
    Deadline(Scheduler loop, Runnable expired) {
        this.loop = loop;
        this.expired = expired;
    }

    /** Due {@code millis} from {@code now} (a System.nanoTime()); {@code millis} 0 clears it (no timeout). */
    void in(long now, long millis) {
        if (millis <= 0) {
            set = false;
            return;
        }
        at = now + millis * 1_000_000;
        set = true;
        if (timer == null || timerAt - at > 0) arm(now, at);
    }

    /** Not due any more; the armed timer, if any, fires and finds nothing to do. */
    void clear() {
        set = false;
    }

    /** Clears it and drops its timer (the connection is gone). */
    void cancel() {
        set = false;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    @Override
    public void run() {
        timer = null;
        if (!set) return;
        long now = System.nanoTime();
        if (at - now > 0) {
            arm(now, at);
        } else {
            set = false;
            expired.run();
        }
    }

    private void arm(long now, long due) {
        if (timer != null) timer.cancel();
        timerAt = due;
        // Rounded up: the timer never fires before the deadline, so it is never re-armed for a sliver.
        timer = loop.schedule((due - now + 999_999) / 1_000_000, this);
    }
}
