package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.poller.Events;
import io.pollkit.poller.Poller;
import io.pollkit.sys.Signals;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Proc;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sun.misc.Signal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import static io.pollkit.bindings.signal_h.SIGWINCH;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The event loop over every backend: timers under a flood, cross-thread execute and wakeup, EINTR. */
@org.junit.jupiter.api.Timeout(120)
class EventLoopTest {
    private static final PrintStream NO_LOG = new PrintStream(OutputStream.nullOutputStream());
    /** How long a test waits for something that happens at once on an idle machine: generous, never a speed claim. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** A loop run on its own platform thread; {@link #join()} stops waiting after a bound and reports what run() threw. */
    private static final class Running {
        final Thread thread;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Running(EventLoop loop) {
            thread = Thread.ofPlatform().name("loop-under-test").start(() -> {
                try {
                    loop.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }

        /** Waits (bounded) for run() to return; fails if it did not, or threw. */
        void join() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(thread.isAlive(), "run() did not return after stop()");
            if (failure.get() != null) throw new AssertionError("run() threw", failure.get());
        }
    }

    /** One thread is signalled with gettid and tgkill, which only Linux has (bindings.spec: os:linux). */
    static void assumeTgkill(TestInfo test) {
        if (io.pollkit.bindings.signal_h.tgkill$descriptor() == null) {
            Skip.because(test, "no tgkill on " + io.pollkit.bindings.Platform.NAME);
        }
    }

    /**
     * Timers keep firing, in order and never early, while a client floods the loop with lines: the flood
     * does not starve them. How punctual they are under a flood is measured in make bench (W3), not here,
     * where a loaded machine can delay any thread.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void fixedRateTimerKeepsFiringWhileAClientFloodsLines(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        final long period = 50, ticks = 30;
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        AtomicLong lines = new AtomicLong(), linesAtFirstTick = new AtomicLong(-1), linesAtLastTick = new AtomicLong(-1);
        List<Long> fired = new ArrayList<>();   // only the loop's thread touches it until the loop has stopped
        CountDownLatch done = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop(backend, NO_LOG); Arena arena = Arena.ofShared()) {
            MemorySegment readBuffer = arena.allocate(64 * 1024);
            new Connection(loop, pair[0], 1, readBuffer, 1 << 20, new LineFramer(1024, (c, line, length) -> lines.incrementAndGet()));
            AtomicLong start = new AtomicLong();
            Running running = new Running(loop);
            MemorySegment flood = arena.allocate(64 * 1024);
            for (long i = 0; i < flood.byteSize(); i++) flood.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i % 64 == 63 ? '\n' : 'x'));
            loop.execute(() -> {
                start.set(System.nanoTime());
                loop.scheduleAtFixedRate(period, period, () -> {
                    fired.add(System.nanoTime() - start.get());
                    if (fired.size() == 1) linesAtFirstTick.set(lines.get());
                    if (fired.size() == ticks) {
                        linesAtLastTick.set(lines.get());
                        done.countDown();
                    }
                });
            });
            // The flood: lines as fast as the socket takes them, until the ticks are done (bounded). A full socket
            // waits a little rather than spins, so the flood does not take a core from the loop on a small machine.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (done.getCount() > 0 && System.nanoTime() < deadline) {
                if (Sockets.send(pair[1], flood, flood.byteSize(), Sockets.NOSIGNAL) < 0) LockSupport.parkNanos(200_000);
            }
            assertEquals(0, done.getCount(), "only " + fired.size() + " of " + ticks + " ticks fired in 60 s of flood");
            loop.stop();
            running.join();
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
        assertTrue(linesAtLastTick.get() > linesAtFirstTick.get(), "lines kept arriving between the first and the last tick: "
                + linesAtFirstTick + " then " + linesAtLastTick);
        for (int k = 0; k < ticks; k++) {
            long due = (k + 1) * period, got = TimeUnit.NANOSECONDS.toMillis(fired.get(k));
            assertTrue(got >= due, "tick " + k + " fired at " + got + " ms, before it was due at " + due + " ms");
        }
        for (int k = 1; k < ticks; k++) assertTrue(fired.get(k) > fired.get(k - 1), "ticks fire in order: " + fired);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void executeFromAnotherThreadWakesTheWaitingLoopAndRunsOnItsThread(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            AtomicInteger tid = new AtomicInteger();
            loop.execute(() -> tid.set(Signals.gettid()));
            Running running = new Running(loop);
            while (tid.get() == 0) Thread.onSpinWait();
            Proc.awaitBlockedInWait(tid.get(), WAIT);   // the loop waits with no timer: forever, unless woken
            CountDownLatch ran = new CountDownLatch(3);
            List<Thread> where = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                loop.execute(() -> {
                    synchronized (where) {
                        where.add(Thread.currentThread());
                    }
                    ran.countDown();
                });
            }
            assertTrue(ran.await(WAIT.toSeconds(), TimeUnit.SECONDS), "execute did not wake the waiting loop");
            synchronized (where) {
                assertTrue(where.stream().allMatch(x -> x == running.thread), "tasks run on the loop's thread");
            }
            loop.stop();
            running.join();
        }
    }

    /** The wakeup comes while the loop is inside its wait (not before it): it ends a wait that has no timer. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupFromAnotherThreadEndsAWaitWithNoTimers(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            int self = Signals.gettid();
            AtomicReference<Throwable> wakerFailed = new AtomicReference<>();
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Proc.awaitBlockedInWait(self, WAIT);
                    loop.wakeup();
                } catch (Throwable t) {
                    wakerFailed.set(t);
                    loop.wakeup();   // end the wait all the same, so the failure is reported instead of a hang
                }
            });
            loop.runOnce(-2);   // no timers: would wait forever without the wakeup
            waker.join();
            if (wakerFailed.get() != null) throw new AssertionError("the waker never saw the loop in its wait", wakerFailed.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupsBeforeAWaitCollapseIntoOne(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            for (int i = 0; i < 10; i++) loop.wakeup();
            loop.runOnce(-2);   // returns: a wakeup is pending (otherwise it waits forever, and the class timeout fails it)
            loop.schedule(100, () -> {});
            long t0 = System.nanoTime();
            loop.runOnce(-2);   // the ten wakeups were one: this wait lasts until the timer
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90), "a stale wakeup cut the next wait short");
        }
    }

    /** A signal handler installed without SA_RESTART semantics for waits: poll, epoll_wait, select and kevent return EINTR. */
    private static void installSigwinchHandler() {
        Signal.handle(new Signal("WINCH"), s -> {});
    }

    /**
     * A signal that arrives while a poll waits ends the wait (EINTR) with no events and no error. The signal is
     * sent once the thread is inside its wait, and again every 50 ms until the poll returns, so one that
     * arrived just before the wait cannot leave the test waiting for the poll's timeout.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSignalDuringAWaitReturnsEarlyWithoutAnError(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        assumeTgkill(test);
        installSigwinchHandler();
        final long timeout = TimeUnit.MINUTES.toMillis(10);   // far past the class timeout: only the signal ends it
        try (Poller poller = backend.open()) {
            AtomicInteger tid = new AtomicInteger();
            AtomicInteger result = new AtomicInteger(-1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            CountDownLatch ready = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                tid.set(Signals.gettid());
                ready.countDown();
                try {
                    result.set(poller.poll(new Events(4), timeout));
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            ready.await();
            Proc.awaitBlockedInWait(tid.get(), WAIT);
            int signals = 0;
            do {
                Signals.tgkill((int) ProcessHandle.current().pid(), tid.get(), SIGWINCH());
                signals++;
            } while (!t.join(Duration.ofMillis(50)) && signals < 400);
            assertFalse(t.isAlive(), signals + " signals did not end the wait");
            if (failed.get() != null) throw new AssertionError("poll failed on EINTR instead of returning 0", failed.get());
            assertEquals(0, result.get(), "an interrupted poll reports no events");
        }
    }

    /**
     * Signals that interrupt the loop's waits do not make a timer fire early, nor more than once, nor lose it:
     * the loop recomputes the wait after each EINTR.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void signalsDoNotDisturbTheTimerSchedule(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        assumeTgkill(test);
        installSigwinchHandler();
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            AtomicInteger tid = new AtomicInteger(), runs = new AtomicInteger();
            AtomicLong firedAt = new AtomicLong();
            long t0 = System.nanoTime();
            loop.execute(() -> tid.set(Signals.gettid()));
            loop.schedule(500, () -> {
                firedAt.set(System.nanoTime() - t0);
                runs.incrementAndGet();
            });
            loop.schedule(1_000, loop::stop);
            Running running = new Running(loop);
            while (tid.get() == 0) Thread.onSpinWait();
            int signals = 0;
            for (int i = 0; i < 5 && running.thread.isAlive(); i++) {
                try {
                    Proc.awaitBlockedInWait(tid.get(), WAIT);
                } catch (AssertionError | UncheckedIOException notWaiting) {
                    // It stopped meanwhile: it is not waiting any more, and once its thread has ended /proc has no task of it.
                    if (!running.thread.isAlive()) break;
                    throw notWaiting;
                }
                Signals.tgkill((int) ProcessHandle.current().pid(), tid.get(), SIGWINCH());
                signals++;
            }
            running.join();
            assertTrue(signals > 0, "no signal reached a wait");
            assertEquals(1, runs.get(), "the 500 ms timer ran once despite " + signals + " signals");
            long ms = TimeUnit.NANOSECONDS.toMillis(firedAt.get());
            assertTrue(ms >= 500, "the 500 ms timer fired early, at " + ms + " ms, after " + signals + " signals");
        }
    }

    @Test
    void timersRunInDeadlineOrderAndCancelledOnesNever() throws Exception {
        try (EventLoop loop = new EventLoop(Backend.POLL, NO_LOG)) {
            List<Integer> order = new ArrayList<>();
            loop.schedule(30, () -> order.add(3));
            loop.schedule(10, () -> order.add(1));
            Timer cancelled = loop.schedule(20, () -> order.add(99));
            loop.schedule(20, () -> order.add(2));
            loop.schedule(40, loop::stop);
            cancelled.cancel();
            loop.run();
            assertEquals(List.of(1, 2, 3), order);
            assertTrue(!cancelled.isScheduled());
        }
    }

    @Test
    void closeClosesEveryFdTheLoopOwns() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        EventLoop loop = new EventLoop(Backend.EPOLL.isAvailable() ? Backend.EPOLL : Backend.POLL, NO_LOG);
        loop.register(pair[0], Poller.READ, (fd, ready) -> {});
        loop.register(pair[1], Poller.READ, (fd, ready) -> {});
        loop.close();
        for (int fd : pair) {
            io.pollkit.sys.ErrnoException e = org.junit.jupiter.api.Assertions.assertThrows(io.pollkit.sys.ErrnoException.class,
                    () -> Unistd.close(fd));
            assertEquals("EBADF", e.errnoName());
        }
    }

}
