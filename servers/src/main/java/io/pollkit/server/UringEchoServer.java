package io.pollkit.server;

import java.io.IOException;

/**
 * The echo server of {@link EchoServer}, driven by io_uring's completions ({@link UringServer}): the same protocol
 * ({@link EchoSession}), idle timeout, queue cap and log lines.
 */
public final class UringEchoServer extends UringServer {
    public UringEchoServer(ServerOptions options) throws IOException {
        super(options);
    }

    /** With {@code bufferCount} provided buffers of {@code bufferSize} bytes: the tests' ring that runs dry. */
    UringEchoServer(ServerOptions options, int bufferCount, int bufferSize) throws IOException {
        super(options, bufferCount, bufferSize);
    }

    @Override
    protected Session sessionFor(long id) {
        return new EchoSession(options, timers::schedule);
    }
}
