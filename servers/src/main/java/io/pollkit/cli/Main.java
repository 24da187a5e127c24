package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.server.EchoServer;
import io.pollkit.server.HttpServer;
import io.pollkit.server.LoopServer;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.TickServer;
import io.pollkit.server.raw.RawTick;
import io.pollkit.sys.Transport;
import sun.misc.Signal;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * {@code java -jar target/pollkit.jar <server> [--flags]}: runs one of pollkit's servers on the chosen
 * backend. A bad command line is one line on stderr and exit code 2; a failure to start (a port in use)
 * is one line and exit code 1; SIGINT or SIGTERM closes every client and the listener and exits 0.
 */
public final class Main {
    private Main() {}

    private static final Set<String> COMMON = Set.of("backend", "bind", "port", "max-clients", "max-line", "max-queued");
    private static final Set<String> WITH_INTERVAL = Set.of("backend", "bind", "port", "max-clients", "max-line",
            "max-queued", "interval");

    /** A server the command line can start. */
    private enum Server {
        TICK("tick", "every --interval ms send \"tick\\n\" to every client; log each line a client sends", WITH_INTERVAL),
        ECHO("echo", "send every byte a client sends back to it", COMMON),
        HTTP("http", "HTTP/1.1 hello: 200 OK with body \"hello\\n\", keep-alive, pipelining-safe", COMMON),
        RAW_TICK("raw-tick", "the tick server written directly against one syscall API, no event loop", WITH_INTERVAL),
        BACKENDS("backends", "list the backends and whether each is available here", Set.of());

        final String id, what;
        final Set<String> flags;

        Server(String id, String what, Set<String> flags) {
            this.id = id;
            this.what = what;
            this.flags = flags;
        }

        String help() {
            if (this == BACKENDS) return "usage: pollkit backends\n\n" + what + "\n";
            return "usage: pollkit " + id + " [flags]\n\n" + what + ".\n\nflags:\n" + Flags.COMMON
                    + (flags.contains("interval") ? Flags.INTERVAL : "")
                    + "\nOn start it prints one line: listening on HOST:PORT backend=NAME\n";
        }
    }

    static String usage() {
        StringBuilder b = new StringBuilder("usage: java -jar target/pollkit.jar <server> [flags]\n\nservers:\n");
        for (Server s : Server.values()) b.append(String.format("  %-9s %s%n", s.id, s.what));
        return b.append("\n'pollkit <server> --help' lists its flags. Example: pollkit tick --backend=poll --port=0\n")
                .toString();
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? System.err : System.out).print(usage());
            return args.length == 0 ? 2 : 0;
        }
        Server server = Arrays.stream(Server.values()).filter(s -> s.id.equals(args[0])).findFirst().orElse(null);
        if (server == null) {
            System.err.println("pollkit: unknown server '" + args[0] + "'; choose one of "
                    + Arrays.stream(Server.values()).map(s -> s.id).collect(Collectors.joining(", ")) + " (see --help)");
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            System.out.print(server.help());
            return 0;
        }
        ServerOptions options;
        try {
            options = Flags.parse(rest, server.flags, ServerOptions.defaults());
            checkTransport();
            if (!options.backend().isAvailable()) throw new UsageException(options.backend().unavailableReason());
        } catch (UsageException e) {
            System.err.println("pollkit " + server.id + ": " + e.getMessage() + " (see pollkit " + server.id + " --help)");
            return 2;
        }
        if (server == Server.BACKENDS) {
            for (Backend b : Backend.values()) {
                System.out.printf("%-7s %s%n", b.id(), b.isAvailable() ? "available" : "unavailable: " + b.unavailableReason());
            }
            return 0;
        }
        try {
            if (server == Server.RAW_TICK) {
                AtomicBoolean stop = new AtomicBoolean();
                onSignals(() -> stop.set(true));
                RawTick.run(options, stop);
                return 0;
            }
            LoopServer s = switch (server) {
                case TICK -> new TickServer(options);
                case ECHO -> new EchoServer(options);
                case HTTP -> new HttpServer(options);
                case RAW_TICK, BACKENDS -> throw new AssertionError();
            };
            onSignals(s::stop);
            s.run();
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("pollkit " + server.id + ": " + e.getMessage());
            return 1;
        }
    }

    /** Chooses the transport (-Dpollkit.transport) now, so that a bad one is a usage error, not a stack trace. */
    private static void checkTransport() throws UsageException {
        try {
            Transport.CURRENT.id();
        } catch (ExceptionInInitializerError e) {   // an unknown name: the IllegalArgumentException is the cause
            throw new UsageException(e.getCause().getMessage());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {   // no JNI library
            throw new UsageException(e.getMessage());
        }
    }

    /** SIGINT and SIGTERM run {@code stop} (then the server closes everything and main returns 0). */
    static void onSignals(Runnable stop) {
        for (String sig : List.of("INT", "TERM")) Signal.handle(new Signal(sig), s -> stop.run());
    }
}
