package io.pollkit.server;

import java.io.IOException;

/**
 * The HTTP/1.1 hello server of {@link HttpServer}, driven by io_uring's completions ({@link UringServer}): the same
 * protocol ({@link HttpExchange}), timeouts, 503 over {@code --max-clients} and log lines.
 */
public final class UringHttpServer extends UringServer {
    public UringHttpServer(ServerOptions options) throws IOException {
        super(options);
    }

    @Override
    protected Session sessionFor(long id) {
        return new HttpExchange(options, timers::schedule);
    }

    @Override
    protected void refuse(int fd) {
        Refusal.answer(fd, HttpExchange.SERVICE_UNAVAILABLE);
    }
}
