package io.pollkit.examples.echo;

import io.pollkit.loop.Acceptor;
import io.pollkit.loop.Connection;
import io.pollkit.loop.EventLoop;
import io.pollkit.poller.Backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends every byte a client sends back to it, on one thread: pollkit's event loop over the platform's best
 * readiness API (epoll on Linux).
 *
 * <pre>java --enable-native-access=io.pollkit -p target/echo-0.1.0-SNAPSHOT.jar:target/lib -m io.pollkit.examples.echo [PORT [SECONDS]]</pre>
 *
 * PORT 0 (the default) takes a free port; the one line on stdout says which. It stops after SECONDS (default
 * 60), or at SIGTERM or Ctrl-C.
 */
public final class Echo {
    private Echo() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        long seconds = args.length > 1 ? Long.parseLong(args[1]) : 60;

        EventLoop loop = new EventLoop(Backend.defaultBackend(), System.err);
        // One read buffer for every client: the loop runs one callback at a time on one thread.
        MemorySegment readBuffer = Arena.ofAuto().allocate(64 * 1024);
        int maxQueued = 1 << 20;   // a client that sends but never reads is dropped past 1 MiB of pending echo
        AtomicLong ids = new AtomicLong();

        Acceptor acceptor = Acceptor.listen(loop, "127.0.0.1", port,
                fd -> new Connection(loop, fd, ids.incrementAndGet(), readBuffer, maxQueued,
                        (client, data, length) -> client.write(data, 0, length)),
                System.err);
        System.out.println("listening on " + acceptor.hostPort());
        System.out.flush();

        loop.schedule(TimeUnit.SECONDS.toMillis(seconds), loop::stop);
        // SIGTERM and Ctrl-C run the shutdown hooks: stop the loop, and let main close everything before exiting.
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            loop.stop();
            try {
                main.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            loop.run();
        } finally {
            loop.close();   // every fd it owns: the clients' and the listener's
        }
    }
}
