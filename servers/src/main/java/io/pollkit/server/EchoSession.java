package io.pollkit.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One echo client, on either loop: every byte comes back, and a client that sends nothing for
 * {@code --idle-timeout} is closed (no timer at all when it is 0).
 */
final class EchoSession implements Session {
    private final Deadline idle;
    private final long idleMillis;
    private Peer peer;

    EchoSession(ServerOptions options, Deadline.Scheduler timers) {
        this.idleMillis = options.idleTimeoutMillis();
        this.idle = idleMillis > 0 ? new Deadline(timers, this::expired) : null;
    }

    @Override
    public void opened(Peer p) {
        peer = p;
        if (idle != null) idle.in(System.nanoTime(), idleMillis);
    }

    @Override
    public void received(Peer p, MemorySegment data, long length) throws IOException {
        if (idle != null) idle.in(System.nanoTime(), idleMillis);
        p.write(data, 0, length);
    }

    @Override
    public void closed(Peer p, String reason) {
        if (idle != null) idle.cancel();
    }

    private void expired() {
        peer.close("idle for " + Durations.format(idleMillis));
    }
}
