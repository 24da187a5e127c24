package io.pollkit.server;

import io.pollkit.loop.Connection;

import java.lang.foreign.MemorySegment;

/**
 * The lecture's echo server: every byte a client sends comes back. A client that sends but never reads
 * fills its capped queue and is disconnected; the others are not slowed.
 */
public final class EchoServer extends LoopServer {
    public EchoServer(ServerOptions options) throws java.io.IOException {
        super(options);
    }

    @Override
    protected Connection.Handler handlerFor(long id) {
        return (Connection c, MemorySegment data, long length) -> c.write(data, 0, length);
    }
}
