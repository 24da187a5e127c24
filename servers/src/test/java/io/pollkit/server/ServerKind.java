package io.pollkit.server;

import java.io.IOException;

/** The three servers, with a way to start each and to check that a client is being served. */
public enum ServerKind {
    TICK, ECHO, HTTP;

    /** The server for {@code o}: on io_uring's completions when {@code o.model()} says so (echo and http). */
    Server create(ServerOptions o) throws IOException {
        boolean completion = o.model() == Model.COMPLETION;
        return switch (this) {
            case TICK -> {
                if (completion) throw new IllegalArgumentException("the tick server has no completion model");
                yield new TickServer(o);
            }
            case ECHO -> completion ? new UringEchoServer(o) : new EchoServer(o);
            case HTTP -> completion ? new UringHttpServer(o) : new HttpServer(o);
        };
    }

    /** The client gets service: a tick line, its bytes back, or a 200 response with body hello\n. */
    void assertServed(Client c) throws IOException {
        switch (this) {
            case TICK -> c.awaitTick();
            case ECHO -> c.assertEchoes("are you there, " + c.id + "?\n");
            case HTTP -> c.assertHttpHello();
        }
    }
}
