package io.pollkit.testing;

import io.pollkit.sys.Signals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The one reader of /proc for the library's tests: open fds, and which system call a thread is blocked in
 * (/proc/self/task/TID/syscall), so that a test can act while a thread is inside its wait instead of
 * sleeping and hoping it got there.
 */
public final class Proc {
    private Proc() {}

    private static final Path SELF_FD = Path.of("/proc/self/fd");

    /** Whether /proc/self is there to read (Linux). */
    public static boolean available() {
        return Files.isDirectory(SELF_FD);
    }

    /** How many fds this process has open. */
    public static long openFds() {
        try (Stream<Path> s = Files.list(SELF_FD)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The number of the system call thread {@code tid} of this process is blocked in, or -1 when it is running
     * or blocked outside a system call (the first field of /proc/self/task/TID/syscall: a number, "running", or -1).
     */
    public static long syscall(int tid) {
        String line;
        try {
            line = Files.readString(Path.of("/proc/self/task/" + tid + "/syscall")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String first = line.split(" ", 2)[0];
        return first.equals("running") ? -1 : Long.parseLong(first);
    }

    private static volatile long futex = Long.MIN_VALUE;

    /**
     * futex's number here, read from a thread parked for good (a parked JVM thread waits in futex), so that no
     * number is typed by hand. A thread blocked in futex is waiting on the JVM (a lock, a safepoint), not in its own wait.
     */
    static long futex() throws InterruptedException {
        if (futex != Long.MIN_VALUE) return futex;
        AtomicInteger tid = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Thread parked = Thread.ofPlatform().daemon().name("proc-futex-probe").start(() -> {
            tid.set(Signals.gettid());
            started.countDown();
            while (!Thread.currentThread().isInterrupted()) LockSupport.park();
        });
        try {
            started.await();
            long nr = awaitStable(tid.get(), Long.MIN_VALUE, Duration.ofSeconds(30), "the parked probe thread");
            futex = nr;
            return nr;
        } finally {
            parked.interrupt();
            parked.join();
        }
    }

    /**
     * Waits until thread {@code tid} is blocked in a system call that is not futex, the same one over several
     * reads: a thread that announced it is about to wait (poll, epoll_wait, select, kevent) is then inside that
     * wait. Returns the system call's number; fails after {@code timeout}.
     */
    public static long awaitBlockedInWait(int tid, Duration timeout) throws InterruptedException {
        return awaitStable(tid, futex(), timeout, "thread " + tid + " in a wait");
    }

    private static long awaitStable(int tid, long excluded, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos(), last = -1;
        int same = 0;
        while (System.nanoTime() < deadline) {
            long nr = syscall(tid);
            same = nr >= 0 && nr != excluded && nr == last ? same + 1 : 0;
            if (same >= 3) return nr;
            last = nr;
            Thread.sleep(5);
        }
        throw new AssertionError("waited " + timeout.toMillis() + " ms for " + what + "; /proc shows system call " + last);
    }
}
