package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;
import io.pollkit.loop.LineFramer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The tick server: every {@code --interval} milliseconds each connected client gets
 * {@code tick\n}; every complete line a client sends is logged as {@code client said: <line>}, at most
 * {@value LineLog#BURST} a second per client ({@link LineLog}). The ticks are a fixed-rate timer of the loop,
 * so client traffic never delays them.
 */
public final class TickServer extends LoopServer {
    private static final MemorySegment TICK = Arena.global().allocateFrom("tick\n").asSlice(0, 5);

    /** The ticks go to every client at once from one timer, so the tick server runs one loop ({@code --loops=1}). */
    public TickServer(ServerOptions options) throws IOException {
        super(checkOneLoop(options));
        try {
            loop.scheduleAtFixedRate(options.intervalMillis(), options.intervalMillis(), this::tick);   // refuses 0
        } catch (RuntimeException e) {
            close();   // the listener and the poller are open already
            throw e;
        }
    }

    private static ServerOptions checkOneLoop(ServerOptions o) {
        if (o.loops() != 1) throw new IllegalArgumentException("the tick server runs one event loop, not " + o.loops());
        return o;
    }

    private void tick() {
        for (Connection c : clients()) {
            try {
                c.write(TICK);
            } catch (IOException e) {
                c.close(e.getMessage());
            }
        }
    }

    @Override
    protected Connection.Handler handlerFor(EventLoop loop, long id) {
        LineLog lineLog = new LineLog(options.log(), id);
        return new LineFramer(options.maxLine(), new LineFramer.Lines() {
            @Override
            public void line(Connection c, byte[] line, int length) {
                lineLog.line(line, length);
            }

            @Override
            public void closed(Connection c, String reason) {
                lineLog.closed();
            }
        });
    }
}
