package io.pollkit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What a result is worth knowing with: the machine, the kernel, the JDK, the load, the commit. */
final class Machine {
    private Machine() {}

    static Map<String, Object> describe(Path root) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("kernel", System.getProperty("os.name") + " " + firstLine(Path.of("/proc/sys/kernel/osrelease"))
                + " " + System.getProperty("os.arch"));
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version"));
        m.put("java_home", System.getProperty("java.home"));
        m.put("cc", command(root, "gcc", "--version"));
        m.put("commit", command(root, "git", "rev-parse", "--short=12", "HEAD"));
        String dirty = command(root, "git", "status", "--porcelain", "--untracked-files=no");
        m.put("worktree_clean", dirty != null && dirty.isEmpty());
        return m;
    }

    /** /proc/loadavg's 1, 5 and 15 minute load averages, as text. */
    static String loadAverage() {
        String line = firstLine(Path.of("/proc/loadavg"));
        if (line == null) return null;
        String[] f = line.split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : line;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux, or no /proc: say unknown
        }
        return "unknown";
    }

    private static String firstLine(Path p) {
        try {
            List<String> lines = Files.readAllLines(p);
            return lines.isEmpty() ? null : lines.get(0).trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** The first line a short command prints, or null when it fails; waits at most 10 s. */
    private static String command(Path dir, String... argv) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(argv))).directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            if (p.exitValue() != 0) return null;
            String s = new String(out, StandardCharsets.UTF_8).strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
