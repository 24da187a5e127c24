package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.poller.Events;
import io.pollkit.poller.Poller;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One thread's event loop over a {@link Poller}: callbacks per fd, one-shot and fixed-rate timers, and
 * tasks handed in from other threads. One iteration (libuv's {@code uv_run}): run due timers, run queued
 * tasks, wait for at most the time to the next timer, dispatch. The wait is computed from the next
 * deadline, never restarted by traffic, so traffic cannot delay or starve a timer; a wait cut short by a
 * signal (EINTR) or a wakeup simply recomputes it.
 *
 * <p>Everything but {@link #execute}, {@link #wakeup} and {@link #stop} belongs to the loop's thread. Run
 * it on a platform thread: a blocking downcall pins a virtual thread's carrier.
 */
public final class EventLoop implements AutoCloseable {
    /** A callback for a registered fd: {@code ready} holds {@link Poller#READABLE} and the other bits. */
    @FunctionalInterface
    public interface Handler {
        void ready(int fd, int ready) throws IOException;
    }

    private final Poller poller;
    private final Events events;
    private final TimerHeap timers = new TimerHeap();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PrintStream log;
    private Handler[] handlers = new Handler[64];   // by fd; null when the loop does not own it
    private long timerSeq;
    private volatile boolean running;

    public EventLoop(Backend backend, PrintStream log) throws IOException {
        this.poller = backend.open();
        this.events = new Events(256);
        this.log = log;
    }

    public String backendName() {
        return poller.name();
    }

    // ------------------------------------------------------------------ fds

    /** Owns {@code fd} from now on: watches it for {@code interest}, calls {@code handler}, closes it in {@link #close()}. */
    public void register(int fd, int interest, Handler handler) throws IOException {
        if (fd >= handlers.length) handlers = Arrays.copyOf(handlers, Math.max(fd + 1, handlers.length * 2));
        poller.register(fd, interest, fd);
        handlers[fd] = handler;
    }

    /** Changes what a registered fd is watched for. */
    public void modify(int fd, int interest) throws IOException {
        poller.modify(fd, interest, fd);
    }

    /** Stops watching and closes an fd the loop owns. */
    public void close(int fd) {
        if (fd < 0 || fd >= handlers.length || handlers[fd] == null) return;
        handlers[fd] = null;
        try {
            poller.unregister(fd);
        } catch (IOException e) {
            log.println("unregister(fd=" + fd + "): " + e.getMessage());
        }
        Unistd.closeQuietly(fd);
    }

    /** Whether the loop owns {@code fd}. */
    public boolean owns(int fd) {
        return fd >= 0 && fd < handlers.length && handlers[fd] != null;
    }

    // ------------------------------------------------------------------ timers

    /** Runs {@code task} once, {@code delayMillis} from now. */
    public Timer schedule(long delayMillis, Runnable task) {
        return add(new Timer(this, task, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis), 0));
    }

    /** Runs {@code task} every {@code periodMillis}, the first time {@code initialDelayMillis} from now. */
    public Timer scheduleAtFixedRate(long initialDelayMillis, long periodMillis, Runnable task) {
        if (periodMillis <= 0) throw new IllegalArgumentException("period must be positive: " + periodMillis);
        return add(new Timer(this, task, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(initialDelayMillis),
                TimeUnit.MILLISECONDS.toNanos(periodMillis)));
    }

    private Timer add(Timer t) {
        t.seq = timerSeq++;
        timers.add(t);
        return t;
    }

    void cancel(Timer t) {
        timers.remove(t);
    }

    private void runDueTimers() {
        long now = System.nanoTime();
        for (Timer t = timers.peek(); t != null && t.deadline - now <= 0; t = timers.peek()) {
            timers.remove(t);
            if (t.periodNanos > 0) {
                long missed = (now - t.deadline) / t.periodNanos;   // skip what the loop could not run in time
                t.deadline += (missed + 1) * t.periodNanos;
                add(t);
            }
            runSafely(t.task);
        }
    }

    // ------------------------------------------------------------------ other threads

    /** Safe from any thread: runs {@code task} on the loop's thread soon. */
    public void execute(Runnable task) {
        tasks.add(task);
        poller.wakeup();
    }

    /** Safe from any thread: makes the current or next wait return; repeated calls collapse into one. */
    public void wakeup() {
        poller.wakeup();
    }

    /** Safe from any thread: makes {@link #run()} return after the current iteration. */
    public void stop() {
        running = false;
        poller.wakeup();
    }

    // ------------------------------------------------------------------ running

    /** Runs until {@link #stop()}. */
    public void run() throws IOException {
        running = true;
        boolean more = false;
        while (running) {
            more = runOnce(more ? 0 : -2);
        }
    }

    /**
     * One iteration. {@code maxWaitMillis}: -2 for "until the next timer", 0 not to wait. Returns true
     * when the events buffer was full (poll again without waiting).
     */
    boolean runOnce(long maxWaitMillis) throws IOException {
        runDueTimers();
        for (Runnable r; (r = tasks.poll()) != null; ) runSafely(r);
        long timeout = maxWaitMillis == 0 || !tasks.isEmpty() ? 0 : timeoutToNextTimer();
        int n = poller.poll(events, timeout);
        for (int i = 0; i < n; i++) {
            int fd = (int) events.token(i);
            Handler h = fd < handlers.length ? handlers[fd] : null;
            if (h == null) continue;   // closed by an earlier callback of this batch
            try {
                h.ready(fd, events.ready(i));
            } catch (IOException | RuntimeException e) {
                log.println("fd " + fd + ": " + e.getMessage() + "; closing it");
                close(fd);
            }
        }
        return n == events.capacity();
    }

    /** -1 with no timers, 0 when one is due, else the milliseconds to the next deadline, rounded up. */
    private long timeoutToNextTimer() {
        Timer next = timers.peek();
        if (next == null) return -1;
        long nanos = next.deadline - System.nanoTime();
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }

    private void runSafely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.println("task failed: " + e);
        }
    }

    /** Closes every fd the loop owns, then the poller. */
    @Override
    public void close() {
        for (int fd = 0; fd < handlers.length; fd++) close(fd);
        poller.close();
    }
}
