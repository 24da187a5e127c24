package io.pollkit.loop;

import io.pollkit.poller.Backend;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * N event loops, each with its own poller, run on N threads: the first on the thread that calls {@link #run},
 * the others on platform threads of their own. They live and end together: {@link #stop()} stops every one,
 * and a loop that fails ({@link EventLoop#run()} throws, or its owner calls {@link #fail}) stops the others, so
 * there is never a group with some loops alive and some dead; so does a stop of any one of them
 * ({@link EventLoop#stop()}). {@link #run} returns once every thread has ended.
 */
public final class LoopGroup implements AutoCloseable {
    private final EventLoop[] loops;
    private final Object lock = new Object();
    private IOException failure;   // the first; guarded by lock
    private boolean ran;

    private LoopGroup(EventLoop[] loops) {
        this.loops = loops;
    }

    /**
     * Opens {@code n} loops on {@code backend}. When one cannot be opened (out of fds, say) the ones opened are
     * closed and the failure says which: {@code event loop 3 of 4: epoll_create1: EMFILE (Too many open files)}.
     */
    public static LoopGroup open(Backend backend, int n, PrintStream log) throws IOException {
        if (n < 1) throw new IllegalArgumentException("a group needs at least one loop, not " + n);
        EventLoop[] loops = new EventLoop[n];
        for (int i = 0; i < n; i++) {
            try {
                loops[i] = new EventLoop(backend, log);
            } catch (IOException | RuntimeException e) {
                for (int j = 0; j < i; j++) loops[j].close();
                if (n == 1) throw e;
                throw new IOException("event loop " + (i + 1) + " of " + n + ": " + e.getMessage(), e);
            }
        }
        return new LoopGroup(loops);
    }

    public int size() {
        return loops.length;
    }

    public EventLoop get(int index) {
        return loops[index];
    }

    /** The loops, in order: a copy. */
    public EventLoop[] loops() {
        return loops.clone();
    }

    /**
     * Runs loop 0 on this thread and each other loop {@code i} on a platform thread named {@code name-i}, until
     * {@link #stop()} or a failure; then stops them all and joins their threads. Once only.
     *
     * @throws IOException the first failure, when a loop failed (the others' are suppressed in it)
     */
    public void run(String name) throws IOException {
        synchronized (lock) {
            if (ran) throw new IllegalStateException("a group runs once");
            ran = true;
        }
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 1; i < loops.length; i++) {
                EventLoop loop = loops[i];
                int index = i;
                threads.add(Thread.ofPlatform().name(name + "-" + i).start(() -> runOne(index, loop)));
            }
            runOne(0, loops[0]);
        } catch (RuntimeException | Error e) {   // a thread could not be started (out of memory for its stack)
            fail(new IOException("event loop " + (threads.size() + 2) + " of " + loops.length + ": " + e, e));
        } finally {
            stop();
            boolean interrupted = false;
            for (Thread t : threads) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;   // the loops are stopping; their threads must still be joined
                    }
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            if (failure != null) throw failure;
        }
    }

    /** Runs one loop; however it ends (its own {@link EventLoop#stop()} included), the others end too. */
    private void runOne(int index, EventLoop loop) {
        try {
            loop.run();
        } catch (IOException | RuntimeException | Error e) {
            String what = e.getMessage() != null ? e.getMessage() : e.toString();
            fail(loops.length == 1 && e instanceof IOException io ? io
                    : new IOException("event loop " + (index + 1) + " of " + loops.length + ": " + what, e));
        } finally {
            stop();
        }
    }

    /**
     * Safe from any thread: records {@code why} (the first failure is the one {@link #run} throws; later ones are
     * suppressed in it) and stops every loop.
     */
    public void fail(IOException why) {
        synchronized (lock) {
            if (failure == null) failure = why;
            else if (failure != why) failure.addSuppressed(why);
        }
        stop();
    }

    /** Safe from any thread: stops every loop (sticky, as {@link EventLoop#stop()}). */
    public void stop() {
        for (EventLoop l : loops) l.stop();
    }

    /** Closes every loop: call it when {@link #run} has returned, or instead of running. */
    @Override
    public void close() {
        for (EventLoop l : loops) l.close();
    }
}
