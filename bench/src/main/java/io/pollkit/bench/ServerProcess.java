package io.pollkit.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under load (W2, W3): started through {@code bash -c 'ulimit -n <hard>; exec [taskset -c CPU] argv'}
 * so that it (and only it) gets the raised open-file limit and the CPU, and so that {@link #pid()} is the
 * server's own pid; ready once it printed {@code listening on HOST:PORT backend=NAME}. Its CPU time and
 * peak RSS come from {@code /proc/<pid>/stat} and {@code /proc/<pid>/status}. {@link #close()} sends
 * SIGTERM, waits up to 10 s, then kills.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+) backend=(\\S+)");
    /** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
    static final long CLK_TCK = clockTicks();

    private final Process process;
    private final String command;
    private final String host, backend;
    private final int port;

    private ServerProcess(Process process, String command, String host, int port, String backend) {
        this.process = process;
        this.command = command;
        this.host = host;
        this.port = port;
        this.backend = backend;
    }

    /**
     * Starts {@code argv} and waits at most {@code timeoutSeconds} for its listening line.
     *
     * @param cpu    the CPU to pin it to with taskset, or null for none
     * @param stderr where its stderr goes: a file, or null to discard it (the tick servers log every client line)
     */
    static ServerProcess start(List<String> argv, Integer cpu, Path stderr, Map<String, String> env, long timeoutSeconds)
            throws Runner.CaseFailure {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n \"$(ulimit -Hn)\" && exec \"$@\"", "bash"));
        if (cpu != null) cmd.addAll(List.of("taskset", "-c", cpu.toString()));
        cmd.addAll(argv);
        String shown = String.join(" ", cmd.subList(4, cmd.size()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(stderr == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stderr.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new Runner.CaseFailure(shown + ": " + e.getMessage());
        }
        CompletableFuture<String> first = new CompletableFuture<>();
        Thread reader = new Thread(() -> {   // the first line, then drain stdout until the server exits
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!first.isDone() && line.contains("listening on")) first.complete(line);
                }
            } catch (IOException e) {
                // the process went away
            } finally {
                first.complete(null);
            }
        }, "server-stdout");
        reader.setDaemon(true);
        reader.start();
        String line;
        try {
            line = first.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            kill(p);
            throw new Runner.CaseFailure(shown + ": no listening line after " + timeoutSeconds + " s");
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new Runner.CaseFailure("interrupted");
        } catch (ExecutionException e) {
            kill(p);
            throw new Runner.CaseFailure(shown + ": " + e.getCause());
        }
        Matcher m = line == null ? null : LISTENING.matcher(line);
        if (m == null || !m.find()) {
            String why = exitInfo(p, stderr);
            kill(p);
            throw new Runner.CaseFailure(shown + ": " + (line == null ? "exited before listening" : "unexpected line: " + line) + why);
        }
        return new ServerProcess(p, shown, m.group(1), Integer.parseInt(m.group(2)), m.group(3));
    }

    private static String exitInfo(Process p, Path stderr) {
        StringBuilder b = new StringBuilder();
        try {
            if (p.waitFor(2, TimeUnit.SECONDS)) b.append(" (exit ").append(p.exitValue()).append(')');
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stderr == null) {
            b.append("; its stderr was discarded: run the command by hand to see why");
        } else {
            try {
                String err = Files.readString(stderr).strip();
                if (!err.isEmpty()) b.append(": ").append(err.length() > 400 ? err.substring(0, 400) + "..." : err);
            } catch (IOException e) {
                // nothing to add
            }
        }
        return b.toString();
    }

    long pid() {
        return process.pid();
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    /** The backend the server says it runs. */
    String backend() {
        return backend;
    }

    String command() {
        return command;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The server's user + system CPU time so far, in clock ticks: all its threads, and its live child processes'
     * (C's http-hello --workers=N forks its workers; the parent's own /proc figures leave them out until they exit).
     */
    long cpuTicks() throws Runner.CaseFailure {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
        } catch (IOException e) {
            throw new Runner.CaseFailure("server " + command + " is gone: " + e.getMessage());
        }
        long ticks = cpuTicks(stat);
        for (long child : children()) {
            try {
                ticks += cpuTicks(Files.readString(Path.of("/proc/" + child + "/stat")));
            } catch (IOException e) {
                throw new Runner.CaseFailure("worker " + child + " of server " + command + " is gone: " + e.getMessage());
            }
        }
        return ticks;
    }

    /**
     * The CPU time so far of the server's JIT compiler threads (HotSpot names them "C1 CompilerThreadN" and "C2
     * CompilerThreadN"), in clock ticks: 0 for a C server.
     */
    long compilerTicks() {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid() + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (comm.matches("C[12] CompilerThre.*")) ticks += cpuTicks(stat);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException gone) {
            // the server is gone: cpuTicks says so
        }
        return ticks;
    }

    /** The server's child processes, from /proc/PID/task/TID/children (empty where there is no such file). */
    private List<Long> children() {
        List<Long> r = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid() + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    for (String pid : Files.readString(task.resolve("children")).trim().split("\\s+")) {
                        if (!pid.isEmpty()) r.add(Long.parseLong(pid));
                    }
                } catch (IOException | NumberFormatException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException gone) {
            // the server is gone: cpuTicks says so
        }
        return r;
    }

    /** utime + stime of a /proc/<pid>/stat line (fields 14 and 15; the comm in parentheses may hold spaces). */
    static long cpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);   // f[0] is field 3, the state
    }

    /** VmHWM, the peak resident set size, in KiB, with its child processes' added; null when /proc does not say. */
    Long peakRssKib() {
        Long own = peakRssKib(pid());
        if (own == null) return null;
        long sum = own;
        for (long child : children()) {
            Long c = peakRssKib(child);
            if (c != null) sum += c;
        }
        return sum;
    }

    private static Long peakRssKib(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.substring(6).trim().split("\\s+")[0]);
            }
        } catch (IOException | NumberFormatException e) {
            // gone, or not Linux
        }
        return null;
    }

    /**
     * Stops the server (SIGSTOP) while another server of its case is measured on the same pinned CPU: a JVM at
     * rest still wakes up (JIT, GC and service threads), and that would be charged to the server being measured.
     */
    void pause() throws Runner.CaseFailure {
        signal("STOP");
    }

    /** Lets a paused server run again (SIGCONT). */
    void resume() throws Runner.CaseFailure {
        signal("CONT");
    }

    private void signal(String name) throws Runner.CaseFailure {
        String why;
        try {
            Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
            String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0) return;
            why = out;
        } catch (IOException e) {
            why = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        throw new Runner.CaseFailure("kill -" + name + " " + pid() + " (" + command + "): " + why);
    }

    /** SIGCONT (a paused server handles no SIGTERM), SIGTERM, then SIGKILL after 10 s. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) resume();
        } catch (Runner.CaseFailure e) {
            // SIGKILL below ends it anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) kill(process);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
        }
    }

    private static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) return Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;   // USER_HZ on every Linux architecture pollkit runs on
    }

    /** Whether {@code program} is on the PATH. */
    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }
}
