package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.server.AcceptMode;
import io.pollkit.server.Durations;
import io.pollkit.server.FdLimit;
import io.pollkit.server.Model;
import io.pollkit.server.ServerOptions;
import io.pollkit.sys.ErrnoException;

import java.util.List;
import java.util.Set;

/** Parses {@code --name=value} flags into {@link ServerOptions}; anything else is a one-line usage error. */
final class Flags {
    private Flags() {}

    /** The longest timeout: a day. */
    static final long MAX_TIMEOUT_MILLIS = 86_400_000;

    /** The lines of --help for the flags a server takes, with that server's defaults. */
    static String help(Set<String> flags, ServerOptions d) {
        StringBuilder b = new StringBuilder();
        b.append(line("--backend=NAME", "select, poll, epoll, kqueue or io_uring (default: " + d.backend().id() + " here)"));
        if (flags.contains("model")) {
            b.append(line("--model=MODEL", "readiness (default): an event loop waits on --backend, then reads and writes;"));
            b.append(line("", "completion: io_uring does the I/O (multishot accept and recv into provided"));
            b.append(line("", "buffers, sends), the loop handles what completed; Linux 6.0+, on io_uring only"));
        }
        b.append(line("--bind=ADDR", "address to listen on (default 127.0.0.1; ::1 for IPv6)"));
        b.append(line("--port=N", "port to listen on (default 8080; 0 takes a free port)"));
        if (d.maxClients() == ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT) {
            b.append(line("--max-clients=N", "clients served at once (default: RLIMIT_NOFILE minus " + FdLimit.RESERVE
                    + " for the process's own files,"));
            b.append(line("", maxClientsHere() + ", and FD_SETSIZE minus " + FdLimit.RESERVE + " with select; the soft limit is raised"));
            b.append(line("", "to the hard one at start); " + (flags.contains("header-timeout")
                    ? "the next client gets 503 Service Unavailable and a close" : "the next client is closed at once")));
        } else {
            b.append(line("--max-clients=N", "clients served at once (default " + d.maxClients() + "); the next one is closed at once"));
        }
        b.append(line("--max-line=N", "longest line a client may send, in bytes (default 1024); longer disconnects it"));
        b.append(line("--max-queued=N", "bytes queued for a client that does not read before it is disconnected (default 65536)"));
        if (flags.contains("header-timeout")) {
            b.append(line("--header-timeout=T", "a request head must arrive whole within T of the connection or of its first byte,"));
            b.append(line("", "and a body may pause no longer than T between two reads; else 408 and a close"));
            b.append(line("", "(default " + Durations.format(d.headerTimeoutMillis()) + ", nginx's client_header_timeout; 0: none)"));
        }
        if (flags.contains("idle-timeout")) {
            b.append(line("--idle-timeout=T", flags.contains("header-timeout")
                    ? "a keep-alive connection waiting for its next request is closed after T"
                    : "a client that sends nothing for T is closed"));
            b.append(line("", "(default " + Durations.format(d.idleTimeoutMillis()) + (flags.contains("header-timeout")
                    ? ", nginx's keepalive_timeout" : ": time for a person at a terminal to pause") + "; 0: none)"));
        }
        if (flags.contains("interval")) b.append(line("--interval=T", "time between ticks; a bare number is milliseconds (default 1000)"));
        if (flags.contains("loops")) {
            b.append(line("--loops=N", "event loops, each on its own thread with its own poller (default 1, at most "
                    + ServerOptions.MAX_LOOPS + ");"));
            b.append(line("", "more than one uses more cores: about one per core is the most that helps ("
                    + Runtime.getRuntime().availableProcessors() + " here)"));
            if (flags.contains("model")) b.append(line("", "(--model=readiness only: the completion model runs one io_uring loop)"));
            b.append(line("--accept=MODE", "how the loops get their clients with --loops over 1: reuseport (each loop listens"));
            b.append(line("", "on the port with SO_REUSEPORT and the kernel spreads the connections), handoff (the"));
            b.append(line("", "first loop accepts and hands each one to the next loop in turn) or auto (default:"));
            b.append(line("", "reuseport where the kernel spreads them, Linux; handoff elsewhere; here "
                    + AcceptMode.AUTO.resolved().id() + ")"));
        } else {
            b.append(line("", "(one event loop: its ticks go to every client at once; --loops is echo's and http's)"));
        }
        b.append(line("--help", "this help"));
        if (flags.contains("idle-timeout") || flags.contains("header-timeout")) {
            b.append("  T is a whole number with a unit: 500ms, 10s, 2m or 1h.\n");
        }
        return b.toString();
    }

    private static String line(String flag, String text) {
        return String.format("  %-19s %s%n", flag, text);
    }

    /** "here N": the default this process would derive on its default backend. */
    private static String maxClientsHere() {
        try {
            return "here " + FdLimit.maxClients(FdLimit.hard(), Backend.defaultBackend());
        } catch (ErrnoException e) {
            return "here unknown: " + e.getMessage();
        }
    }

    /** Parses {@code args} (after the server name); {@code allowed} lists the flag names this server takes. */
    static ServerOptions parse(List<String> args, Set<String> allowed, ServerOptions o) throws UsageException {
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new UsageException(arg.startsWith("--") && allowed.contains(arg.substring(2))
                        ? arg + " needs a value: " + arg + "=..." : "unknown argument " + arg);
            }
            String name = arg.substring(2, eq), value = arg.substring(eq + 1);
            if (!allowed.contains(name) && allowed.contains("interval") && (name.equals("loops") || name.equals("accept"))) {
                throw new UsageException("--" + name + " is for echo and http; this server runs one event loop (its ticks go "
                        + "to every client at once)");
            }
            if (!allowed.contains(name)) throw new UsageException("unknown flag --" + name);
            o = switch (name) {
                case "backend" -> {
                    try {
                        yield o.withBackend(Backend.of(value));   // whether it runs here: Main, for the default too
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                case "model" -> {
                    try {
                        yield o.withModel(Model.of(value));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                case "bind" -> {
                    if (value.isEmpty()) throw new UsageException("--bind needs an address, such as 127.0.0.1 or ::1");
                    yield o.withBind(value);
                }
                case "port" -> o.withPort((int) number(name, value, 0, 65535));
                case "interval" -> o.withInterval(duration(name, value, "ms", 1, MAX_TIMEOUT_MILLIS));
                case "max-clients" -> o.withMaxClients((int) number(name, value, 1, 1_000_000));
                case "max-line" -> o.withMaxLine((int) number(name, value, 1, 1 << 20));
                case "max-queued" -> o.withMaxQueued((int) number(name, value, 1, 1 << 30));
                case "header-timeout" -> o.withHeaderTimeout(duration(name, value, null, 0, MAX_TIMEOUT_MILLIS));
                case "idle-timeout" -> o.withIdleTimeout(duration(name, value, null, 0, MAX_TIMEOUT_MILLIS));
                case "loops" -> o.withLoops((int) number(name, value, 1, ServerOptions.MAX_LOOPS));
                case "accept" -> {
                    try {
                        yield o.withAccept(AcceptMode.of(value));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                default -> throw new UsageException("unknown flag --" + name);
            };
        }
        return o;
    }

    private static long number(String name, String value, long min, long max) throws UsageException {
        try {
            long v = Long.parseLong(value);
            if (v >= min && v <= max) return v;
        } catch (NumberFormatException e) {
            // falls through to the message
        }
        throw new UsageException("--" + name + " must be a whole number from " + min + " to " + max + ", not '" + value + "'");
    }

    private static long duration(String name, String value, String bareUnit, long min, long max) throws UsageException {
        try {
            return Durations.parseMillis(value, bareUnit, min, max);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }
}
