package io.pollkit.server;

import java.io.IOException;

/** The three servers, with a way to start each and to check that a client is being served. */
public enum ServerKind {
    TICK, ECHO, HTTP;

    LoopServer create(ServerOptions o) throws IOException {
        return switch (this) {
            case TICK -> new TickServer(o);
            case ECHO -> new EchoServer(o);
            case HTTP -> new HttpServer(o);
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
