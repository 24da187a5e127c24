package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;

import java.lang.foreign.MemorySegment;

/**
 * The lecture's echo server: every byte a client sends comes back. A client that sends but never reads
 * fills its capped queue and is disconnected; the others are not slowed. A client that sends nothing for
 * {@code --idle-timeout} is closed, so silent connections cannot hold every slot.
 */
public final class EchoServer extends LoopServer {
    private static final Connection.Handler ECHO = (Connection c, MemorySegment data, long length) -> c.write(data, 0, length);

    public EchoServer(ServerOptions options) throws java.io.IOException {
        super(options);
    }

    @Override
    protected Connection.Handler handlerFor(EventLoop loop, long id) {
        return options.idleTimeoutMillis() > 0 ? new Idle(loop) : ECHO;
    }

    /** Echoes, and closes the connection once it has received nothing for the idle timeout. */
    private final class Idle implements Connection.Handler, Opening {
        private final Deadline idle;
        private Connection connection;

        Idle(EventLoop loop) {
            idle = new Deadline(loop, this::expired);
        }

        @Override
        public void opened(Connection c) {
            connection = c;
            idle.in(System.nanoTime(), options.idleTimeoutMillis());
        }

        @Override
        public void received(Connection c, MemorySegment data, long length) throws java.io.IOException {
            idle.in(System.nanoTime(), options.idleTimeoutMillis());
            c.write(data, 0, length);
        }

        @Override
        public void closed(Connection c, String reason) {
            idle.cancel();
        }

        private void expired() {
            connection.close("idle for " + Durations.format(options.idleTimeoutMillis()));
        }
    }
}
