package io.pollkit.server;

import io.pollkit.sys.Sockets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one reader of /proc for the servers' tests: this process's fds, a thread found by its name, and whether a
 * process or thread spins. Spinning is told by the scheduler state (R: running or waiting for a CPU), not by CPU
 * time: a spinning thread is R whatever the load, an idle one sleeps (S), while its CPU share depends on
 * what else the machine runs.
 */
public final class Proc {
    private Proc() {}

    private static final Path SELF_FD = Path.of("/proc/self/fd");

    /** The numbers of this process's open fds (the one listing the directory included). */
    public static List<Integer> fds() {
        try (Stream<Path> s = Files.list(SELF_FD)) {
            return s.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many fds this process has open (compare two counts; each includes the fd that lists them). */
    public static long openFds() {
        return fds().size();
    }

    public static int highestFd() {
        return fds().stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    /** This process's socket whose peer is {@code peer}: the server's end of a client's connection. */
    public static int socketWithPeer(SocketAddress peer) {
        for (int fd : fds()) {
            try {
                if (Files.readSymbolicLink(SELF_FD.resolve(Integer.toString(fd))).toString().startsWith("socket:")
                        && peer.equals(Sockets.getpeername(fd))) return fd;
            } catch (IOException notAConnectedSocketAnyMore) {
                // ENOTCONN (a listener), or closed meanwhile
            }
        }
        throw new AssertionError("no socket in /proc/self/fd has the peer " + peer);
    }

    /** /proc/self/task/TID of this process's thread named {@code name} (Linux keeps the first 15 bytes of it). */
    public static Path thread(String name) {
        String comm = name.substring(0, Math.min(15, name.length()));
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).trim().equals(comm)) return task;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no thread named " + comm + " in /proc/self/task");
    }

    /** The tasks (threads) of process {@code pid}: /proc/PID/task/TID. */
    public static List<Path> threads(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The share of {@code samples} reads, spread over {@code window}, in which at least one of {@code tasks} was
     * runnable (state R). A thread that spins is R in every sample, loaded machine or not; one that waits in
     * poll is S in nearly all. Tasks that ended meanwhile count as not runnable.
     */
    public static double runnableShare(List<Path> tasks, Duration window, int samples) throws InterruptedException {
        int runnable = 0;
        for (int i = 0; i < samples; i++) {
            for (Path task : tasks) {
                if (state(task) == 'R') {
                    runnable++;
                    break;
                }
            }
            Thread.sleep(Math.max(1, window.toMillis() / samples));
        }
        return runnable / (double) samples;
    }

    /** The state letter of a task (the field after the command in its stat), or 'X' when it is gone. */
    static char state(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException gone) {
            return 'X';
        }
    }
}
