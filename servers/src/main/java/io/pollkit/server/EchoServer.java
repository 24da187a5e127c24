package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;

import java.lang.foreign.MemorySegment;

/**
 * The lecture's echo server: every byte a client sends comes back. A client that sends but never reads
 * fills its capped queue and is disconnected; the others are not slowed. A client that sends nothing for
 * {@code --idle-timeout} is closed, so silent connections cannot hold every slot. The protocol is
 * {@link EchoSession}'s, shared with the io_uring completion server ({@link UringEchoServer}).
 */
public final class EchoServer extends LoopServer {
    private static final Connection.Handler ECHO = (Connection c, MemorySegment data, long length) -> c.write(data, 0, length);

    public EchoServer(ServerOptions options) throws java.io.IOException {
        super(options);
    }

    @Override
    protected Connection.Handler handlerFor(EventLoop loop, long id) {
        return options.idleTimeoutMillis() > 0 ? new ConnectionSession(id, new EchoSession(options, loop::schedule)) : ECHO;
    }
}
