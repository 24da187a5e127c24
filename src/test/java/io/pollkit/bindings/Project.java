package io.pollkit.bindings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The project folder and a way to run its tools from tests. */
final class Project {
    private Project() {}

    static final Path DIR = Path.of(System.getProperty("pollkit.project.dir", ".")).toAbsolutePath();

    /** Runs a command in the project folder; returns its output, or throws with it on a non-zero exit. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(command + " did not finish in 5 minutes");
        }
        if (p.exitValue() != 0) throw new IOException(command + " exited " + p.exitValue() + ":\n" + out);
        return out;
    }

    /** The zig that bindings/mkbindings uses for the darwin targets ($ZIG, on PATH, or scripts/install-zig's), or null. */
    static String zig() {
        String env = System.getenv("ZIG");
        if (env != null && Path.of(env).toFile().canExecute()) return env;
        if (onPath("zig")) return "zig";
        try {
            return run(List.of("scripts/install-zig", "--print")).strip();
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Path.of(dir, program).toFile().canExecute()) return true;
        }
        return false;
    }
}
