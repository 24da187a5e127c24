package io.pollkit.server.raw;

import io.pollkit.server.ServerOptions;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tick server written five times, straight against each readiness API and without an event loop
 * library: {@link RawSelectTick}, {@link RawPollTick}, {@link RawEpollTick}, {@link RawKqueueTick},
 * {@link RawIoUringTick}.
 * Read them side by side; what they share and is not the API (the listener, line framing, the
 * outbound queues, the tick schedule) is in {@link RawTickClients}.
 *
 * <p>The server sends "tick\n" to every client every interval and logs each line a client sends as
 * "client said: LINE". Ticks run at a fixed rate from the start; each wait lasts until the next tick
 * deadline, so client traffic cannot delay them.
 */
public final class RawTick {
    private RawTick() {}

    /**
     * Runs the server with options.backend() on the calling thread until {@code stop} becomes true
     * (seen within 200 ms), then closes every client and the listener and returns.
     *
     * @throws UnsupportedOperationException when the backend cannot run here, with its reason
     * @throws IOException when the listener cannot be opened, or the readiness API fails
     */
    public static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        String reason = options.backend().unavailableReason();
        if (reason != null) throw new UnsupportedOperationException(reason);
        switch (options.backend()) {
            case SELECT -> RawSelectTick.run(options, stop);
            case POLL -> RawPollTick.run(options, stop);
            case EPOLL -> RawEpollTick.run(options, stop);
            case KQUEUE -> RawKqueueTick.run(options, stop);
            case IO_URING -> RawIoUringTick.run(options, stop);
        }
    }
}
