package io.pollkit.server;

import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;

import java.io.IOException;

/**
 * HTTP/1.1 hello: every request gets {@code 200 OK} with the body {@code hello\n} and a Content-Length
 * (a {@code HEAD} gets the same headers without the body); keep-alive, and pipelining-safe (every request is
 * answered, in order, once it has been read whole). Where a request ends, and what is refused with which
 * status, is {@link HttpRequestParser}'s: a malformed request gets {@code 400}, a head over
 * {@value HttpRequestParser#MAX_HEAD} bytes {@code 431}, a transfer coding other than chunked {@code 501},
 * an expectation other than {@code 100-continue} {@code 417}, each followed by a close.
 *
 * <p>Timeouts (nginx's and Go's): a request head must arrive whole within {@code --header-timeout} of the
 * connection's start, or of its first byte on a kept-alive connection; a body may pause no longer than
 * {@code --header-timeout} between two reads (nginx's client_body_timeout rule); either gets {@code 408} and a
 * close. A kept-alive connection that waits for its next request longer than {@code --idle-timeout} is closed,
 * without an answer, and so is one that never takes its last response. A client over {@code --max-clients} gets
 * {@code 503} and a close. The protocol is {@link HttpExchange}'s, shared with the io_uring completion server
 * ({@link UringHttpServer}).
 */
public final class HttpServer extends LoopServer {
    static final String OK = HttpExchange.OK;

    public HttpServer(ServerOptions options) throws IOException {
        super(options);
    }

    @Override
    protected Connection.Handler handlerFor(EventLoop loop, long id) {
        return new ConnectionSession(id, new HttpExchange(options, loop::schedule));
    }

    /** Over --max-clients: 503 (a fresh socket's send buffer takes it whole), then LoopServer closes. */
    @Override
    protected void refuse(int fd) {
        Refusal.answer(fd, HttpExchange.SERVICE_UNAVAILABLE);
    }
}
