package io.pollkit.server;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The servers' log stream, which never makes the event loop wait: writes go into a bounded buffer that a
 * thread of its own drains into the real stream. A pipe whose reader stops (a paused {@code less}, a stuck log
 * shipper, a test harness that fell behind) fills in 64 KiB; a blocking write to it from the loop's thread would
 * stop every client's ticks and answers until the reader came back. Here the loop loses log lines instead:
 * a write that does not fit is dropped whole (a {@link PrintStream#println} is one write, so lines are never cut),
 * counted, and the count is logged ({@code pollkit: N log lines dropped ...}) once the reader catches up, as
 * journald reports the messages it suppressed.
 *
 * <p>{@link #close()} waits, for a bounded time, for what was buffered to be written, so that a server's last
 * lines reach a reader that is still reading; a reader that is not loses them rather than holding up the exit.
 */
public final class BoundedLog extends OutputStream {
    /** Buffered bytes: about a thousand log lines. */
    static final int CAPACITY = 128 * 1024;

    private final OutputStream target;
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread writer;
    private long head, tail;        // bytes taken out, bytes put in (ring index: value % capacity)
    private long dropped;           // writes dropped since the last report
    private boolean closed;

    /** A log over {@code target} with the default capacity; starts its writer thread. */
    public BoundedLog(OutputStream target) {
        this(target, CAPACITY);
    }

    BoundedLog(OutputStream target, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be positive: " + capacity);
        this.target = target;
        this.ring = new byte[capacity];
        this.writer = Thread.ofPlatform().daemon().name("pollkit-log").start(this::drain);
    }

    /** A UTF-8 PrintStream over a new BoundedLog of {@code target}, flushing at every line. */
    public static PrintStream printStream(OutputStream target) {
        return new PrintStream(new BoundedLog(target), true, StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** Buffers {@code b[off..off+len)} whole, or drops it whole when it does not fit; never waits for the reader. */
    @Override
    public void write(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return;
        lock.lock();
        try {
            if (closed || len > ring.length - (tail - head)) {
                dropped++;
                return;
            }
            int at = (int) (tail % ring.length), first = Math.min(len, ring.length - at);
            System.arraycopy(b, off, ring, at, first);
            System.arraycopy(b, off + first, ring, 0, len - first);
            tail += len;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Does not wait: the writer thread flushes after every batch it writes. */
    @Override
    public void flush() {
    }

    /** Writes dropped since the last report (for tests). */
    long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Stops taking writes and waits up to a second for the buffered ones to be written. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drain() {
        byte[] chunk = new byte[8192];
        while (true) {
            int n;
            long lost;
            lock.lock();
            try {
                while (head == tail && dropped == 0 && !closed) changed.awaitUninterruptibly();
                if (head == tail && dropped == 0) return;   // closed, and everything written
                int at = (int) (head % ring.length);
                n = (int) Math.min(Math.min(tail - head, ring.length - at), chunk.length);
                System.arraycopy(ring, at, chunk, 0, n);
                head += n;
                // The count goes out once the buffer is empty, after the lines that were kept, in their order.
                lost = head == tail ? dropped : 0;
                if (lost > 0) dropped = 0;
            } finally {
                lock.unlock();
            }
            try {
                target.write(chunk, 0, n);
                if (lost > 0) {
                    target.write(("pollkit: " + lost + " log lines dropped: the log's reader fell behind\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                target.flush();
            } catch (IOException e) {
                // The log's reader is gone (EPIPE): there is no one left to tell; the server goes on.
            }
        }
    }
}
