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
import java.util.concurrent.atomic.AtomicLong;

/**
 * One thread's event loop over a {@link Poller}: callbacks per fd, one-shot and fixed-rate timers, and
 * tasks handed in from other threads. One iteration (libuv's {@code uv_run}): run due timers, run queued
 * tasks, wait for at most the time to the next timer, dispatch. The wait is computed from the next
 * deadline, never restarted by traffic, so traffic cannot delay or starve a timer; a wait cut short by a
 * signal (EINTR) or a wakeup simply recomputes it. An iteration runs only the tasks queued before it began
 * to run them, so a task that queues another cannot keep timers and I/O waiting.
 *
 * <p>The poller's token for an fd carries a generation besides the fd number: an event that was reported
 * for an fd which a callback earlier in the same batch closed never reaches the fd's next owner, even when
 * the number was reused in between.
 *
 * <p>Everything but {@link #execute}, {@link #wakeup} and {@link #stop} belongs to the loop's thread. Run
 * it on a platform thread: a blocking downcall pins a virtual thread's carrier.
 */
public final class EventLoop implements AutoCloseable {
    /** A callback for a registered fd: {@code ready} holds {@link Poller#READABLE} and the other bits. */
    @FunctionalInterface
    public interface Handler {
        void ready(int fd, int ready) throws IOException;

        /**
         * {@link #ready} threw {@code failure}: the handler must close the fd (by default the loop closes it),
         * through the same path as any other close of its owner, so nothing of the owner outlives the fd.
         */
        default void failed(EventLoop loop, int fd, Exception failure) {
            loop.close(fd);
        }
    }

    /** The longest timer delay or period: about 146 years, so that deadlines never overflow. */
    static final long MAX_DELAY_NANOS = Timers.MAX_DELAY_NANOS;

    private final Poller poller;
    private final Events events;
    private final Timers timers;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicLong tasksQueued = new AtomicLong();   // counted after each add
    private long tasksRun;                                     // the loop's thread's count
    private final PrintStream log;
    private Handler[] handlers = new Handler[64];   // by fd; null when the loop does not own it
    private int[] generations = new int[64];        // by fd: the generation of its current registration
    private int nextGeneration = 1;
    private volatile boolean stopped;

    public EventLoop(Backend backend, PrintStream log) throws IOException {
        this.poller = backend.open();
        this.events = new Events(256);
        this.log = log;
        this.timers = new Timers(log);
    }

    public String backendName() {
        return poller.name();
    }

    // ------------------------------------------------------------------ fds

    /** Owns {@code fd} from now on: watches it for {@code interest}, calls {@code handler}, closes it in {@link #close()}. */
    public void register(int fd, int interest, Handler handler) throws IOException {
        if (fd >= handlers.length) {
            int length = Math.max(fd + 1, handlers.length * 2);
            handlers = Arrays.copyOf(handlers, length);
            generations = Arrays.copyOf(generations, length);
        }
        int generation = nextGeneration;
        nextGeneration = generation == Integer.MAX_VALUE ? 1 : generation + 1;
        poller.register(fd, interest, token(fd, generation));
        generations[fd] = generation;
        handlers[fd] = handler;
    }

    /** Changes what a registered fd is watched for. */
    public void modify(int fd, int interest) throws IOException {
        poller.modify(fd, interest, token(fd, generations[fd]));
    }

    /** The poller's token: the generation above the fd number; positive, so never the poller's reserved one. */
    private static long token(int fd, int generation) {
        return (long) generation << 32 | fd;
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
        return timers.schedule(delayMillis, task);
    }

    /** Runs {@code task} every {@code periodMillis}, the first time {@code initialDelayMillis} from now. */
    public Timer scheduleAtFixedRate(long initialDelayMillis, long periodMillis, Runnable task) {
        return timers.scheduleAtFixedRate(initialDelayMillis, periodMillis, task);
    }

    // ------------------------------------------------------------------ other threads

    /** Safe from any thread: runs {@code task} on the loop's thread soon. */
    public void execute(Runnable task) {
        tasks.add(task);
        tasksQueued.incrementAndGet();
        poller.wakeup();
    }

    /** Safe from any thread: makes the current or next wait return; repeated calls collapse into one. */
    public void wakeup() {
        poller.wakeup();
    }

    /**
     * Safe from any thread: makes {@link #run()} return after the current iteration, or at once when it has
     * not started yet (a stop asked for during start-up, by a signal, is never lost). A stopped loop stays stopped.
     */
    public void stop() {
        stopped = true;
        poller.wakeup();
    }

    // ------------------------------------------------------------------ running

    /** Runs until {@link #stop()}, which may have come before. */
    public void run() throws IOException {
        boolean more = false;
        while (!stopped) {
            more = runOnce(more ? 0 : -2);
        }
    }

    /**
     * One iteration. {@code maxWaitMillis}: -2 for "until the next timer", 0 not to wait. Returns true
     * when the events buffer was full (poll again without waiting).
     */
    boolean runOnce(long maxWaitMillis) throws IOException {
        timers.runDue();
        runQueuedTasks();
        long timeout = maxWaitMillis == 0 || !tasks.isEmpty() ? 0 : timers.millisToNext();
        int n = poller.poll(events, timeout);
        for (int i = 0; i < n; i++) {
            long token = events.token(i);
            int fd = (int) token;
            Handler h = handlers[fd];
            // Closed by an earlier callback of this batch, and perhaps reused by a new owner since.
            if (h == null || generations[fd] != (int) (token >>> 32)) continue;
            try {
                h.ready(fd, events.ready(i));
            } catch (IOException | RuntimeException e) {
                log.println("fd " + fd + ": " + e.getMessage() + "; closing it");
                h.failed(this, fd, e);
            }
        }
        return n == events.capacity();
    }

    /** Runs the tasks queued before this call; those they queue wait for the next iteration. */
    private void runQueuedTasks() {
        long queued = tasksQueued.get();
        for (Runnable r; tasksRun < queued && (r = tasks.poll()) != null; ) {
            tasksRun++;
            runSafely(r);
        }
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
