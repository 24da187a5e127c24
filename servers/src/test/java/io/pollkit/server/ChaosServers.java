package io.pollkit.server;

import io.pollkit.poller.Backend;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The chaos test's child JVM ({@link ChaosTest}): the tick, echo and http servers on one backend, each on a free
 * port, in one process whose fds and memory the test measures from outside. Each server's lines go out whole,
 * prefixed with its name ({@code tick| client 3 connected}), its listening line to stdout and its log to stderr,
 * so that the test can hold every line to the server's known forms. SIGTERM stops the servers (each closes its
 * clients and its listener), then the JVM exits with 0.
 *
 * <p>{@code ChaosServers BACKEND MAX_CLIENTS MAX_QUEUED [MODEL]}: with MODEL {@code completion}, echo and http run on
 * io_uring's completions and tick (which has no completion model) on the BACKEND.
 */
public final class ChaosServers {
    private ChaosServers() {}

    public static void main(String[] args) throws Exception {
        Backend backend = Backend.of(args[0]);
        int maxClients = Integer.parseInt(args[1]), maxQueued = Integer.parseInt(args[2]);
        Model model = args.length > 3 ? Model.of(args[3]) : Model.READINESS;
        List<Server> servers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (ServerKind kind : ServerKind.values()) {
            String name = kind.name().toLowerCase();
            ServerOptions o = ServerOptions.defaults().withBackend(backend).withPort(0).withInterval(100)
                    .withMaxClients(maxClients).withMaxQueued(maxQueued)
                    .withStreams(prefixed(name, System.out), prefixed(name, System.err));
            if (kind != ServerKind.TICK && model == Model.COMPLETION) o = o.withModel(model);
            Server s = kind.create(o);
            servers.add(s);
            threads.add(Thread.ofPlatform().name(name).start(() -> {
                try {
                    s.run();
                } catch (Throwable t) {
                    // A server that dies is a finding: its line is not one of the known forms, so the test fails.
                    synchronized (System.err) {
                        System.err.println(name + "| SERVER FAILED: " + t);
                        t.printStackTrace();
                    }
                }
            }));
        }
        // As the CLI does: a signal stops the servers, run() returns, and so does main, with exit code 0.
        for (String sig : List.of("INT", "TERM")) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), x -> servers.forEach(Server::stop));
        }
        for (Thread t : threads) t.join();
    }

    /** A stream that writes each whole line, prefixed with {@code name| }, to {@code to} in one piece. */
    private static PrintStream prefixed(String name, PrintStream to) {
        byte[] prefix = (name + "| ").getBytes(StandardCharsets.UTF_8);
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                line.write(b);
                if (b != '\n') return;
                synchronized (to) {
                    to.write(prefix, 0, prefix.length);
                    to.write(line.toByteArray(), 0, line.size());
                    to.flush();
                }
                line.reset();
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                for (int i = off; i < off + len; i++) write(b[i]);
            }
        }, true, StandardCharsets.UTF_8);
    }
}
