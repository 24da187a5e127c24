package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.poller.Poller;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defects the loop once had, each pinned by the test that found it, on every backend where it applies. */
@Timeout(60)
class EventLoopDefectsTest {
    private static int[] pair() throws IOException {
        return Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
    }

    /** A stop() before run() (a SIGTERM during start-up) is not forgotten: run() returns at once. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aStopBeforeRunIsKept(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, new PrintStream(new ByteArrayOutputStream()))) {
            loop.stop();
            AtomicBoolean returned = new AtomicBoolean();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    loop.run();
                    returned.set(true);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            t.join(TimeUnit.SECONDS.toMillis(20));
            boolean ended = !t.isAlive();
            if (!ended) {   // the defect: run() forgot the stop; end the loop some other way before failing
                loop.execute(loop::stop);
                t.join();
            }
            assertTrue(ended && returned.get(), "run() after stop() kept running");
        }
    }

    /**
     * An event reported for an fd that an earlier callback of the same batch closed must not reach the fd's
     * next owner. Two fds hang up at once; whichever callback runs first closes the other and registers a fresh
     * socket under the very same fd number, with a handler that acts on HANGUP alone. The fresh socket never
     * hangs up, so any event its handler sees is the stale one.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aStaleEventNeverReachesTheNewOwnerOfAReusedFd(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, new PrintStream(new ByteArrayOutputStream()))) {
            int[] a = pair(), b = pair();
            List<String> wrongOwner = new ArrayList<>();
            AtomicInteger replacedFd = new AtomicInteger(-1);
            int[] fresh = pair();
            EventLoop.Handler first = new EventLoop.Handler() {
                @Override
                public void ready(int fd, int ready) throws IOException {
                    if (replacedFd.get() >= 0) return;
                    int other = fd == a[0] ? b[0] : a[0];
                    loop.close(other);
                    // A new socket takes the closed fd's number (F_DUPFD: the lowest free number from it on).
                    int reused = Fcntl.fcntl(fresh[0], F_DUPFD_CLOEXEC(), other);
                    assertEquals(other, reused, "the fd number should be reused");
                    replacedFd.set(reused);
                    loop.register(reused, Poller.READ, (fd2, ready2) -> {
                        if ((ready2 & Poller.HANGUP) != 0) {
                            wrongOwner.add(Integer.toString(ready2));
                            loop.close(fd2);   // what a HANGUP handler does: here, to the wrong socket
                        }
                    });
                }
            };
            loop.register(a[0], Poller.READ, first);
            loop.register(b[0], Poller.READ, first);
            Unistd.close(a[1]);
            Unistd.close(b[1]);
            loop.runOnce(-2);
            loop.runOnce(0);
            assertTrue(replacedFd.get() >= 0, "no callback ran");
            assertEquals(List.of(), wrongOwner, "the new owner of fd " + replacedFd.get() + " got the old socket's hang-up");
            assertTrue(loop.owns(replacedFd.get()), "the new socket was closed by a stale event");
            Unistd.close(fresh[0]);
            Unistd.close(fresh[1]);
        }
    }

    /** A Connection handler that throws is closed through the Connection: its owner hears of it, its fd is gone. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aThrowingHandlerClosesItsConnectionThroughTheOnePath(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (EventLoop loop = new EventLoop(backend, new PrintStream(log, true)); Arena arena = Arena.ofConfined()) {
            int[] p = pair();
            AtomicReference<String> closedFor = new AtomicReference<>();
            Connection c = new Connection(loop, p[0], 1, arena.allocate(4096), 65536, new Connection.Handler() {
                @Override
                public void received(Connection c, MemorySegment data, long length) {
                    throw new IllegalStateException("handler bug");
                }

                @Override
                public void closed(Connection c, String reason) {
                    closedFor.set(reason);
                }
            });
            Unistd.write(p[1], arena.allocateFrom("x"), 1);
            loop.runOnce(-2);
            assertFalse(c.isOpen(), "the connection still says it is open");
            assertEquals("handler bug", closedFor.get(), "Handler.closed did not run");
            assertFalse(loop.owns(p[0]));
            Unistd.close(p[1]);
        }
    }

    /** A task that queues itself again runs once per iteration: timers and I/O still get their turn. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSelfRequeueingTaskCannotStarveTimersOrIo(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        try (EventLoop loop = new EventLoop(backend, new PrintStream(new ByteArrayOutputStream()))) {
            AtomicBoolean requeue = new AtomicBoolean(true);
            AtomicInteger runs = new AtomicInteger();
            Runnable[] task = new Runnable[1];
            task[0] = () -> {
                runs.incrementAndGet();
                if (requeue.get()) loop.execute(task[0]);
            };
            CountDownLatch timerRan = new CountDownLatch(1), ioRan = new CountDownLatch(1);
            int[] p = pair();
            loop.register(p[0], Poller.READ, (fd, ready) -> {
                ioRan.countDown();
                loop.close(fd);
            });
            loop.schedule(10, timerRan::countDown);
            loop.execute(task[0]);
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    loop.run();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Unistd.close(p[1]);
            boolean timer = timerRan.await(20, TimeUnit.SECONDS), io = ioRan.await(20, TimeUnit.SECONDS);
            int before = runs.get();   // the task is still going: it ran beside the timer, not before it
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); runs.get() < before + 10 && System.nanoTime() < end; ) {
                Thread.sleep(1);
            }
            requeue.set(false);
            loop.stop();
            t.join();
            assertTrue(timer, "the timer never ran while a task kept requeueing itself");
            assertTrue(io, "the fd's callback never ran while a task kept requeueing itself");
            assertTrue(runs.get() >= before + 10, "the task stopped requeueing itself: " + runs.get());
        }
    }

    /** A delay near Long.MAX_VALUE means "practically never", not "at once" (the deadline must not overflow). */
    @Test
    void hugeTimerDelaysDoNotOverflow() throws Exception {
        try (EventLoop loop = new EventLoop(Backend.POLL, new PrintStream(new ByteArrayOutputStream()))) {
            AtomicInteger ran = new AtomicInteger();
            loop.schedule(Long.MAX_VALUE, ran::incrementAndGet);
            loop.schedule(Long.MAX_VALUE - 1, ran::incrementAndGet);
            loop.scheduleAtFixedRate(Long.MAX_VALUE / 2, Long.MAX_VALUE, ran::incrementAndGet);
            loop.schedule(-5, () -> {});   // due at once: the next wait does not sleep on the huge ones
            loop.runOnce(0);
            loop.runOnce(0);
            assertEquals(0, ran.get(), "a timer of about 292 million years ran at once");
        }
    }
}
