package io.pollkit.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server in a child JVM, run from the compiled classes (the jar is built after the tests), with its
 * stdout and stderr captured line by line: for what a test cannot do in its own JVM (signals, a lower
 * RLIMIT_NOFILE, process exit codes). The kqueue library setting is inherited through the environment.
 */
public final class ChildJvm implements AutoCloseable {
    static final Path PROJECT = Path.of(System.getProperty("pollkit.project.dir", ".")).toAbsolutePath();
    static final Duration START = Duration.ofSeconds(15);

    public final Process process;
    public final LineCapture out, err;
    private final Thread outPump, errPump;
    private final boolean wrapped;   // process is a wrapper (strace) whose child is the JVM

    private ChildJvm(Process process, String name, boolean wrapped, boolean readStderr) {
        this.process = process;
        this.wrapped = wrapped;
        this.out = new LineCapture(name + " stdout");
        this.err = new LineCapture(name + " stderr");
        outPump = out.pump(process.getInputStream());
        errPump = readStderr ? err.pump(process.getErrorStream()) : null;
    }

    /** Starts {@code java -cp target/classes:target/test-classes:LIBRARY MAIN ARGS}, LIBRARY being this JVM's pollkit jar. */
    public static ChildJvm start(String mainClass, List<String> args) throws IOException {
        return start(List.of(), mainClass, args);
    }

    /**
     * Like {@link #start(String, List)}, with the JVM run by {@code wrapper} (a command that runs the rest of
     * its command line as its child and exits with its status, such as strace): {@link #sigterm()} reaches
     * the JVM, the exit code is the wrapper's.
     */
    public static ChildJvm start(List<String> wrapper, String mainClass, List<String> args) throws IOException {
        return launch(command(wrapper, mainClass, args), mainClass, args, !wrapper.isEmpty(), true);
    }

    private static List<String> command(List<String> wrapper, String mainClass, List<String> args) {
        Path classes = PROJECT.resolve("target/classes"), testClasses = PROJECT.resolve("target/test-classes");
        assertTrue(Files.isDirectory(classes), classes + " is missing");
        String classPath = String.join(java.io.File.pathSeparator, classes.toString(), testClasses.toString(), libraryJar());
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", classPath, mainClass));
        command.addAll(args);
        return command;
    }

    /**
     * Like {@link #start(String, List)}, but nothing reads the child's stderr (a pipe) until the test reads
     * {@code process.getErrorStream()} itself: a log reader that stopped reading.
     */
    public static ChildJvm startWithStderrUnread(String mainClass, List<String> args) throws IOException {
        return launch(command(List.of(), mainClass, args), mainClass, args, false, false);
    }

    private static ChildJvm launch(List<String> command, String mainClass, List<String> args, boolean wrapped,
                                   boolean readStderr) throws IOException {
        Process p = new ProcessBuilder(command).directory(PROJECT.toFile()).start();
        p.getOutputStream().close();
        return new ChildJvm(p, mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args),
                wrapped, readStderr);
    }

    /** Where this JVM loaded the library from: the io.pollkit:pollkit jar Maven resolved for the tests. */
    private static String libraryJar() {
        try {
            return Path.of(io.pollkit.poller.Backend.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The port from the server's "listening on 127.0.0.1:PORT backend=NAME" line. */
    public int awaitPort(String backend) {
        Matcher m = out.await("listening on 127\\.0\\.0\\.1:(\\d+) backend=" + backend + "( loops=\\d+ accept=\\w+)?", 0, START);
        return Integer.parseInt(m.group(1));
    }

    /**
     * Sends SIGTERM. Not {@code Process.destroy()}: that also closes this side's pipes, so the child's
     * last lines (its "server stopping" ones) would meet EPIPE instead of the test.
     */
    public void sigterm() {
        if (wrapped) process.toHandle().children().forEach(ProcessHandle::destroy);
        else process.toHandle().destroy();
    }

    /** Waits for the exit (bounded) and for the last of its output; returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM did not exit within " + timeout.toMillis() + " ms; stderr:\n" + err.tail());
        }
        outPump.join(5000);
        if (errPump != null) errPump.join(5000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (wrapped) process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
