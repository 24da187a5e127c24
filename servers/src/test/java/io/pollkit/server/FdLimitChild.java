package io.pollkit.server;

import io.pollkit.cli.Main;
import io.pollkit.sys.Rlimit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;

/**
 * The child JVM of {@link FdLimitTest}: {@code SOFT HARD SERVER FLAGS...}. Sets its own RLIMIT_NOFILE to SOFT and
 * HARD fds above the highest fd it has open (a process may lower its hard limit; it cannot raise it again), prints
 * {@code fdlimit-child: soft S hard H} on stderr, then runs the command line ({@code Main.main}).
 */
public final class FdLimitChild {
    private FdLimitChild() {}

    public static void main(String[] args) throws Exception {
        List<Integer> fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        }
        long base = Math.max(fds.size(), fds.stream().mapToInt(Integer::intValue).max().orElse(2) + 1);
        Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(base + Long.parseLong(args[0]), base + Long.parseLong(args[1])));
        Rlimit.Limit l = Rlimit.getrlimit(RLIMIT_NOFILE());
        System.err.println("fdlimit-child: soft " + l.cur() + " hard " + l.max() + " (" + fds.size() + " fds open)");
        Main.main(Arrays.copyOfRange(args, 2, args.length));
    }
}
