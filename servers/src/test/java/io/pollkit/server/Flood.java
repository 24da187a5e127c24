package io.pollkit.server;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A client that writes one unit over and over, as fast as the socket takes it, for a bounded time, on its
 * own thread. A write blocked by a stalled server is bounded too: {@link #join()} closes the socket.
 *
 * <p>A flood that reads the answers back can be windowed: it then keeps at most {@code window} bytes
 * ahead of what its reader has taken. Without that, a writer outrunning its own reader leaves megabytes
 * unread and is disconnected for it, as it should be: the server queues at most --max-queued bytes.
 */
final class Flood {
    private final Client client;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong(), units = new AtomicLong();
    private volatile IOException failure;

    private Flood(Client client, byte[] unit, long millis, LongSupplier taken, long window) {
        this.client = client;
        byte[] chunk = new byte[Math.max(1, 64 * 1024 / unit.length) * unit.length];
        for (int i = 0; i < chunk.length; i += unit.length) System.arraycopy(unit, 0, chunk, i, unit.length);
        long perChunk = chunk.length / unit.length;
        this.thread = Thread.ofPlatform().name("flood-" + client.id).start(() -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            try {
                while (System.nanoTime() < end) {
                    while (sent.get() - taken.getAsLong() > window - chunk.length && System.nanoTime() < end) {
                        LockSupport.parkNanos(50_000);
                    }
                    client.out.write(chunk);
                    sent.addAndGet(chunk.length);
                    units.addAndGet(perChunk);
                }
                client.out.flush();
            } catch (IOException e) {
                failure = e;
            }
        });
    }

    static Flood start(Client client, byte[] unit, long millis) {
        return new Flood(client, unit, millis, () -> 0, Long.MAX_VALUE);
    }

    /** A flood at most {@code window} bytes ahead of {@code taken}, the bytes its reader has consumed. */
    static Flood windowed(Client client, byte[] unit, long millis, LongSupplier taken, long window) {
        return new Flood(client, unit, millis, taken, window);
    }

    /** Waits for the flood to end (at most 10 s past its time); fails when a write failed. */
    void join() throws Exception {
        thread.join(10_000);
        if (thread.isAlive()) {
            client.close();
            thread.join(2_000);
            throw new AssertionError("the flood of " + client + " was still blocked in a write 10 s later");
        }
        assertFalse(failure != null, "the flood of " + client + " failed: " + failure);
    }

    /** Waits (at most 15 s) for a flood that is expected to be cut off by the server; returns the write's failure. */
    IOException awaitCutOff() throws Exception {
        thread.join(15_000);
        if (thread.isAlive()) {
            client.close();
            thread.join(2_000);
            throw new AssertionError("the flood of " + client + " was still writing 15 s later");
        }
        return failure;
    }

    long sent() {
        return sent.get();
    }

    long units() {
        return units.get();
    }
}
