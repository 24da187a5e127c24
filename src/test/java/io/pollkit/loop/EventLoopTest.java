package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.poller.Events;
import io.pollkit.poller.Poller;
import io.pollkit.sys.Signals;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sun.misc.Signal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.pollkit.bindings.signal_h.SIGWINCH;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The event loop over every backend: timers under a flood, cross-thread execute and wakeup, EINTR. */
class EventLoopTest {
    private static final PrintStream NO_LOG = new PrintStream(OutputStream.nullOutputStream());

    static void assumeAvailable(Backend b, String test) {
        if (!b.isAvailable()) {
            System.out.println("SKIPPED " + test + " on " + b.id() + ": " + b.unavailableReason());
            assumeTrue(false, b.unavailableReason());
        }
    }

    /** One thread is signalled with gettid and tgkill, which only Linux has (bindings.spec: os:linux). */
    static void assumeTgkill(Backend b, String test) {
        if (io.pollkit.bindings.signal_h.tgkill$descriptor() == null) {
            System.out.println("SKIPPED " + test + " on " + b.id() + ": no tgkill on " + io.pollkit.bindings.Platform.NAME);
            assumeTrue(false, "no tgkill");
        }
    }

    /** Runs {@code loop} on a platform thread; the returned thread ends when the loop is stopped. */
    private static Thread start(EventLoop loop) {
        Thread t = Thread.ofPlatform().name("loop-under-test").start(() -> {
            try {
                loop.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        return t;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void fixedRateTimerStaysOnScheduleWhileAClientFloodsLines(Backend backend) throws Exception {
        assumeAvailable(backend, "timers under a flood");
        final long period = 50, ticks = 30;
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        AtomicLong lines = new AtomicLong();
        List<Long> fired = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop(backend, NO_LOG); Arena arena = Arena.ofShared()) {
            MemorySegment readBuffer = arena.allocate(64 * 1024);
            new Connection(loop, pair[0], 1, readBuffer, 1 << 20, new LineFramer(1024, (c, line, length) -> lines.incrementAndGet()));
            AtomicLong start = new AtomicLong();
            Thread t = start(loop);
            // The flood: lines as fast as the socket takes them. It runs for a warm-up second before the timer is
            // set (so JIT compilation is not what is measured), then until the ticks are done; bounded either way.
            MemorySegment flood = arena.allocate(64 * 1024);
            for (long i = 0; i < flood.byteSize(); i++) flood.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i % 64 == 63 ? '\n' : 'x'));
            long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(1), deadline = warm + TimeUnit.SECONDS.toNanos(10);
            boolean timerSet = false;
            while (done.getCount() > 0 && System.nanoTime() < deadline) {
                if (!timerSet && System.nanoTime() > warm) {
                    timerSet = true;
                    loop.execute(() -> {
                        start.set(System.nanoTime());
                        loop.scheduleAtFixedRate(period, period, () -> {
                            fired.add(System.nanoTime() - start.get());
                            if (fired.size() == ticks) done.countDown();
                        });
                    });
                }
                // Full socket: wait a little rather than spin, so the flood is as fast as the socket, not a CPU hog
                // competing with the loop for this machine's two cores.
                if (Sockets.send(pair[1], flood, flood.byteSize(), Sockets.NOSIGNAL) < 0) LockSupport.parkNanos(200_000);
            }
            assertTrue(done.await(1, TimeUnit.SECONDS), "only " + fired.size() + " of " + ticks + " ticks fired");
            loop.stop();
            t.join(5000);
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
        assertTrue(lines.get() > 1000, "the flood got through: " + lines.get() + " lines");
        for (int k = 0; k < ticks; k++) {
            long want = (k + 1) * period, got = TimeUnit.NANOSECONDS.toMillis(fired.get(k));
            assertTrue(Math.abs(got - want) <= 50, "tick " + k + " fired at " + got + " ms, scheduled for " + want + " ms: "
                    + fired.stream().map(TimeUnit.NANOSECONDS::toMillis).toList());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void executeFromAnotherThreadRunsOnTheLoopThreadPromptly(Backend backend) throws Exception {
        assumeAvailable(backend, "execute");
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            Thread t = start(loop);
            Thread.sleep(100);   // the loop now waits with no timer: forever
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
            assertTrue(ran.await(2, TimeUnit.SECONDS), "execute did not wake the waiting loop");
            synchronized (where) {
                assertTrue(where.stream().allMatch(x -> x == t), "tasks run on the loop's thread");
            }
            loop.stop();
            t.join(5000);
            assertTrue(!t.isAlive(), "stop() from another thread ends run()");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupFromAnotherThreadEndsAWaitWithNoTimers(Backend backend) throws Exception {
        assumeAvailable(backend, "wakeup");
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                loop.wakeup();
            });
            long t0 = System.nanoTime();
            loop.runOnce(-2);   // no timers: would wait forever without the wakeup
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
            waker.join();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeupsBeforeAWaitCollapseIntoOne(Backend backend) throws Exception {
        assumeAvailable(backend, "wakeup collapse");
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            for (int i = 0; i < 10; i++) loop.wakeup();
            long t0 = System.nanoTime();
            loop.runOnce(-2);   // returns at once: a wakeup is pending
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
            loop.schedule(100, () -> {});
            t0 = System.nanoTime();
            loop.runOnce(-2);   // the ten wakeups were one: this wait lasts until the timer
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90), "a stale wakeup cut the next wait short");
        }
    }

    /** A signal handler installed without SA_RESTART semantics for waits: poll, epoll_wait, select and kevent return EINTR. */
    private static void installSigwinchHandler() {
        Signal.handle(new Signal("WINCH"), s -> {});
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSignalDuringAWaitReturnsEarlyWithoutAnError(Backend backend) throws Exception {
        assumeAvailable(backend, "EINTR");
        assumeTgkill(backend, "aSignalDuringAWaitReturnsEarlyWithoutAnError");
        installSigwinchHandler();
        try (Poller poller = backend.open()) {
            AtomicInteger tid = new AtomicInteger();
            AtomicLong waited = new AtomicLong(-1);
            CountDownLatch ready = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                tid.set(Signals.gettid());
                ready.countDown();
                long t0 = System.nanoTime();
                try {
                    assertEquals(0, poller.poll(new Events(4), 3000));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                waited.set(System.nanoTime() - t0);
            });
            ready.await();
            Thread.sleep(200);   // it is in its wait by now
            Signals.tgkill((int) ProcessHandle.current().pid(), tid.get(), SIGWINCH());
            t.join(5000);
            assertTrue(waited.get() >= 0 && waited.get() < TimeUnit.MILLISECONDS.toNanos(2500),
                    "the wait should end at the signal (EINTR), not at its 3 s timeout: " + waited.get() / 1_000_000 + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void signalsDoNotDisturbTheTimerSchedule(Backend backend) throws Exception {
        assumeAvailable(backend, "EINTR and timers");
        assumeTgkill(backend, "signalsDoNotDisturbTheTimerSchedule");
        installSigwinchHandler();
        try (EventLoop loop = new EventLoop(backend, NO_LOG)) {
            AtomicInteger tid = new AtomicInteger();
            AtomicLong firedAt = new AtomicLong();
            long t0 = System.nanoTime();
            loop.execute(() -> tid.set(Signals.gettid()));
            loop.schedule(500, () -> {
                firedAt.set(System.nanoTime() - t0);
                loop.stop();
            });
            Thread t = start(loop);
            while (tid.get() == 0) Thread.sleep(5);
            for (int i = 0; i < 10 && t.isAlive(); i++) {
                Thread.sleep(30);
                Signals.tgkill((int) ProcessHandle.current().pid(), tid.get(), SIGWINCH());
            }
            t.join(5000);
            long ms = TimeUnit.NANOSECONDS.toMillis(firedAt.get());
            assertTrue(ms >= 500 && ms <= 550, "the 500 ms timer fired at " + ms + " ms despite 10 signals");
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
