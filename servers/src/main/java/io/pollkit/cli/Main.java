package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.server.BoundedLog;
import io.pollkit.server.EchoServer;
import io.pollkit.server.FdLimit;
import io.pollkit.server.HttpServer;
import io.pollkit.server.Model;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.TickServer;
import io.pollkit.server.UringEchoServer;
import io.pollkit.server.UringHttpServer;
import io.pollkit.server.raw.RawTick;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Kqueue;
import io.pollkit.sys.Transport;
import io.pollkit.uring.Availability;
import sun.misc.Signal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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

    /** A server the command line can start. */
    private enum Server {
        TICK("tick", "every --interval send \"tick\\n\" to every client; log each line a client sends", "interval"),
        ECHO("echo", "send every byte a client sends back to it", "idle-timeout", "loops", "accept", "model"),
        HTTP("http", "HTTP/1.1 hello: 200 OK with body \"hello\\n\", keep-alive, pipelining-safe", "header-timeout",
                "idle-timeout", "loops", "accept", "model"),
        RAW_TICK("raw-tick", "the tick server written directly against one syscall API, no event loop", "interval"),
        BACKENDS("backends", "list the backends and whether each is available here");

        final String id, what;
        final Set<String> flags;

        Server(String id, String what, String... own) {
            this.id = id;
            this.what = what;
            Set<String> f = new java.util.HashSet<>(Set.of(own));
            if (!id.equals("backends")) f.addAll(COMMON);
            this.flags = Set.copyOf(f);
        }

        /**
         * Its defaults. The tick servers keep their class of 15 (silent clients are their normal case, so they have
         * no timeouts); echo and http hold as many clients as the fd limit allows, and echo's idle clients are
         * people at a terminal.
         */
        ServerOptions defaults() {
            ServerOptions d = ServerOptions.defaults();
            return switch (this) {
                case TICK, RAW_TICK, BACKENDS -> d;
                case ECHO -> d.withMaxClients(ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT)
                        .withIdleTimeout(ServerOptions.DEFAULT_ECHO_IDLE_TIMEOUT_MILLIS);
                case HTTP -> d.withMaxClients(ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT);
            };
        }

        String help() {
            if (this == BACKENDS) return "usage: pollkit backends\n\n" + what + "\n";
            return "usage: pollkit " + id + " [flags]\n\n" + what + ".\n\nflags:\n" + Flags.help(flags, defaults())
                    + "\nOn start it prints one line: listening on HOST:PORT backend=NAME"
                    + (flags.contains("model") ? " (with --model=completion: backend=io_uring model=completion)" : "") + "\n";
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
            boolean completion = rest.contains("--model=" + Model.COMPLETION.id());
            options = Flags.parse(completion ? withoutIoUringBackend(rest) : rest, server.flags, server.defaults());
            checkTransport();
            if (options.model() == Model.COMPLETION) {
                if (options.loops() > 1) {
                    throw new UsageException("--loops=" + options.loops() + " is for --model=readiness; --model=completion runs "
                            + "one io_uring loop");
                }
                String reason = Availability.unavailableReason();
                if (reason != null) throw new UsageException("--model=completion needs io_uring, which is unavailable here: " + reason);
            } else if (!options.backend().isAvailable()) {
                throw new UsageException(options.backend().unavailableReason());
            }
        } catch (UsageException e) {
            System.err.println("pollkit " + server.id + ": " + e.getMessage() + " (see pollkit " + server.id + " --help)");
            return 2;
        }
        if (server == Server.BACKENDS) {
            for (Backend b : Backend.values()) {
                System.out.printf("%-8s %s%n", b.id(), b.isAvailable() ? "available" + (b == Backend.KQUEUE ? " (kqueue from " + Kqueue.origin() + ")" : "")
                        : "unavailable: " + b.unavailableReason());
            }
            return 0;
        }
        // The loop's log never blocks it: a reader that stops reading costs log lines, not the clients' service.
        PrintStream log = BoundedLog.printStream(new FileOutputStream(FileDescriptor.err));
        options = options.withStreams(options.out(), log);
        try {
            raiseFdLimit();
            if (server == Server.RAW_TICK) {
                AtomicBoolean stop = new AtomicBoolean();
                onSignals(() -> stop.set(true));
                RawTick.run(options, stop);
                return 0;
            }
            boolean completion = options.model() == Model.COMPLETION;
            io.pollkit.server.Server s = switch (server) {
                case TICK -> new TickServer(options);
                case ECHO -> completion ? new UringEchoServer(options) : new EchoServer(options);
                case HTTP -> completion ? new UringHttpServer(options) : new HttpServer(options);
                case RAW_TICK, BACKENDS -> throw new AssertionError();
            };
            onSignals(s::stop);
            s.run();
            return 0;
        } catch (IOException | RuntimeException e) {
            log.close();   // its lines first, then why the server stopped
            System.err.println("pollkit " + server.id + ": " + e.getMessage());
            return 1;
        } finally {
            log.close();
        }
    }

    /**
     * The arguments without {@code --backend=io_uring}, which {@code --model=completion} implies; any other backend
     * with it is a usage error (the completion model waits on no readiness backend).
     */
    private static List<String> withoutIoUringBackend(List<String> args) throws UsageException {
        List<String> rest = new java.util.ArrayList<>();
        for (String a : args) {
            if (!a.startsWith("--backend=")) {
                rest.add(a);
            } else if (!a.equals("--backend=io_uring")) {
                throw new UsageException("--model=completion runs on io_uring alone; " + a + " is for --model=readiness");
            }
        }
        return rest;
    }

    /** The soft RLIMIT_NOFILE up to the hard one, as Go and the JDK do; a failure is told and the server goes on. */
    private static void raiseFdLimit() {
        try {
            FdLimit.raise();
        } catch (ErrnoException e) {
            System.err.println("pollkit: " + e.getMessage() + "; the fd limit stays at its soft value");
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
