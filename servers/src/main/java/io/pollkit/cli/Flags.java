package io.pollkit.cli;

import io.pollkit.poller.Backend;
import io.pollkit.server.ServerOptions;

import java.util.List;
import java.util.Set;

/** Parses {@code --name=value} flags into {@link ServerOptions}; anything else is a one-line usage error. */
final class Flags {
    private Flags() {}

    static final String COMMON = """
              --backend=NAME     select, poll, epoll or kqueue (default: %s here)
              --bind=ADDR        address to listen on (default 127.0.0.1; ::1 for IPv6)
              --port=N           port to listen on (default 8080; 0 takes a free port)
              --max-clients=N    clients served at once (default 15); the next one is closed at once
              --max-line=N       longest line a client may send, in bytes (default 1024); longer disconnects it
              --max-queued=N     bytes queued for a client that does not read before it is disconnected (default 65536)
              --help             this help
            """.formatted(Backend.defaultBackend().id());

    static final String INTERVAL = "  --interval=MS      milliseconds between ticks (default 1000)\n";

    /** Parses {@code args} (after the server name); {@code allowed} lists the flag names this server takes. */
    static ServerOptions parse(List<String> args, Set<String> allowed, ServerOptions o) throws UsageException {
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new UsageException(arg.startsWith("--") && allowed.contains(arg.substring(2))
                        ? arg + " needs a value: " + arg + "=..." : "unknown argument " + arg);
            }
            String name = arg.substring(2, eq), value = arg.substring(eq + 1);
            if (!allowed.contains(name)) throw new UsageException("unknown flag --" + name);
            o = switch (name) {
                case "backend" -> {
                    try {
                        yield o.withBackend(Backend.of(value));   // whether it runs here: Main, for the default too
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                case "bind" -> {
                    if (value.isEmpty()) throw new UsageException("--bind needs an address, such as 127.0.0.1 or ::1");
                    yield o.withBind(value);
                }
                case "port" -> o.withPort((int) number(name, value, 0, 65535));
                case "interval" -> o.withInterval(number(name, value, 1, 86_400_000));
                case "max-clients" -> o.withMaxClients((int) number(name, value, 1, 1_000_000));
                case "max-line" -> o.withMaxLine((int) number(name, value, 1, 1 << 20));
                case "max-queued" -> o.withMaxQueued((int) number(name, value, 1, 1 << 30));
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
}
