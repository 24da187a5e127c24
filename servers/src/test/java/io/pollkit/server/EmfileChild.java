package io.pollkit.server;

import io.pollkit.cli.Main;
import io.pollkit.sys.Rlimit;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;

/**
 * The child JVM of {@link EmfileTest}: lowers its own RLIMIT_NOFILE, soft and hard (the server raises the soft
 * limit to the hard one at start), to a few fds above what it has open, then runs the command line
 * ({@code Main.main(args)}). Every pollkit class is loaded
 * first: loading a class from target/classes opens a file, which at the limit would fail.
 */
public final class EmfileChild {
    private EmfileChild() {}

    public static void main(String[] args) throws Exception {
        int headroom = Integer.getInteger("emfile.headroom", 16);
        preloadClasses();
        List<Integer> fds = Proc.fds();
        long highest = fds.stream().mapToInt(Integer::intValue).max().orElse(2);
        long limit = Math.max(fds.size(), highest + 1) + headroom;
        Rlimit.Limit old = Rlimit.getrlimit(RLIMIT_NOFILE());
        Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(limit, limit));
        System.err.println("emfile-child: " + fds.size() + " fds open, highest " + highest + "; RLIMIT_NOFILE "
                + old.cur() + "/" + old.max() + " -> " + Rlimit.getrlimit(RLIMIT_NOFILE()).cur() + "/" + Rlimit.getrlimit(RLIMIT_NOFILE()).max());
        Main.main(args);
    }

    private static void preloadClasses() throws URISyntaxException, java.io.IOException, ClassNotFoundException {
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names;
        try (Stream<Path> s = Files.walk(classes)) {
            names = s.map(p -> classes.relativize(p).toString())
                    .filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .toList();
        }
        for (String n : names) Class.forName(n, false, EmfileChild.class.getClassLoader());
    }
}
