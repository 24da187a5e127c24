package io.pollkit.server;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A client that writes one unit over and over, as fast as the socket takes it, for a bounded time, on its
 * own thread. A write blocked by a stalled server is bounded too: {@link #join()} closes the socket.
 */
final class Flood {
    private final Client client;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong(), units = new AtomicLong();
    private volatile IOException failure;

    private Flood(Client client, byte[] unit, long millis) {
        this.client = client;
        byte[] chunk = new byte[Math.max(1, 64 * 1024 / unit.length) * unit.length];
        for (int i = 0; i < chunk.length; i += unit.length) System.arraycopy(unit, 0, chunk, i, unit.length);
        long perChunk = chunk.length / unit.length;
        this.thread = Thread.ofPlatform().name("flood-" + client.id).start(() -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            try {
                while (System.nanoTime() < end) {
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
        return new Flood(client, unit, millis);
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

    long sent() {
        return sent.get();
    }

    long units() {
        return units.get();
    }
}
