package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Portable;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LoopGroup}, {@link Handoff} and {@link Acceptor.Sharing} over real loops, threads and sockets: each loop
 * runs on its own thread; a stop or one loop's failure ends every thread before {@code run} returns; handed-off fds
 * reach each loop in turn on that loop's thread, and those no loop took are closed; listeners that share a port get
 * the connections spread over them by the kernel, and a port in use is still refused.
 */
@Timeout(60)
class LoopGroupTest {
    private static final PrintStream LOG = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    private static List<Thread> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix + "-")).toList();
    }

    /** Runs {@code g} on a thread of its own; returns it and where run()'s failure goes. */
    private static Thread start(LoopGroup g, String name, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().start(() -> {
            try {
                g.run(name);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void eachLoopRunsOnItsOwnThreadAndAnyLoopsStopJoinsThemAll(Backend b, TestInfo info) throws Exception {
        Skip.unlessAvailable(info, b);
        try (LoopGroup g = LoopGroup.open(b, 4, LOG)) {
            AtomicReferenceArray<Thread> ran = new AtomicReferenceArray<>(4);
            CountDownLatch all = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                int index = i;
                g.get(i).execute(() -> {
                    ran.set(index, Thread.currentThread());
                    all.countDown();
                });
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = start(g, "group-stop", failure);
            assertTrue(all.await(10, TimeUnit.SECONDS), "every loop ran its task");
            assertSame(caller, ran.get(0), "loop 0 runs on the caller's thread");
            Set<Thread> distinct = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 4; i++) distinct.add(ran.get(i));
            assertEquals(4, distinct.size(), "four threads");
            assertEquals("group-stop-3", ran.get(3).getName());
            g.get(2).stop();   // one loop's stop ends the group
            caller.join(10_000);
            assertFalse(caller.isAlive(), "run() returned");
            assertEquals(null, failure.get());
            assertEquals(List.of(), threadsNamed("group-stop"), "every loop thread ended before run() returned");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void oneLoopsFailureStopsEveryLoopAndRunThrowsIt(Backend b, TestInfo info) throws Exception {
        Skip.unlessAvailable(info, b);
        try (LoopGroup g = LoopGroup.open(b, 3, LOG)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = start(g, "group-fail", failure);
            IOException why = new IOException("loop 3's listener broke");
            g.get(2).execute(() -> g.fail(why));
            caller.join(10_000);
            assertFalse(caller.isAlive(), "run() returned");
            assertSame(why, failure.get());
            assertEquals(List.of(), threadsNamed("group-fail"));
            assertThrows(IllegalStateException.class, () -> g.run("again"), "a group runs once");
        }
    }

    @Test
    void aGroupNeedsALoop() {
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.open(Backend.POLL, 0, LOG));
    }

    /** The acceptor's own loop keeps its turns; the others' fds arrive on their threads, in turn: 0 1 2 0 1 2 ... */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aHandoffGivesEachLoopItsTurnOnItsOwnThread(Backend b, TestInfo info) throws Exception {
        Skip.unlessAvailable(info, b);
        try (LoopGroup g = LoopGroup.open(b, 3, LOG)) {
            List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger wrongThread = new AtomicInteger();
            AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(3);
            Handoff h = new Handoff(g.loops(), 0, (index, fd) -> {
                if (threads.get(index) != Thread.currentThread()) wrongThread.incrementAndGet();
                order.add(index);
                Unistd.closeQuietly(fd);
            }, e -> g.fail(e));
            CountDownLatch known = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                int index = i;
                g.get(i).execute(() -> {
                    threads.set(index, Thread.currentThread());
                    known.countDown();
                });
            }
            Acceptor a = Acceptor.listen(g.get(0), "127.0.0.1", 0, h, e -> g.fail(e), LOG);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = start(g, "group-handoff", failure);
            assertTrue(known.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 9; i++) {
                try (Socket s = new Socket()) {
                    s.setSoTimeout(10_000);
                    s.connect(a.address(), 10_000);
                    assertEquals(-1, s.getInputStream().read(), "closed by the loop it was handed to");
                }
            }
            g.stop();
            caller.join(10_000);
            assertEquals(null, failure.get());
            h.close();
            List<Integer> sorted = new ArrayList<>(order);
            java.util.Collections.sort(sorted);
            assertEquals(List.of(0, 0, 0, 1, 1, 1, 2, 2, 2), sorted, "each loop's share: " + order);
            assertEquals(0, wrongThread.get(), "an fd was taken on another loop's thread");
        }
    }

    /** An fd handed to a loop that stopped before taking it is closed by Handoff.close(): the peer sees end of stream. */
    @Test
    void aHandedFdNoLoopTookIsClosed() throws Exception {
        try (LoopGroup g = LoopGroup.open(Backend.POLL, 2, LOG)) {
            List<Integer> taken = new ArrayList<>();
            Handoff h = new Handoff(g.loops(), 0, (index, fd) -> {
                taken.add(index);
                Unistd.closeQuietly(fd);
            }, e -> {});
            Acceptor a = Acceptor.listen(g.get(0), "127.0.0.1", 0, h, e -> {}, LOG);
            try (Socket first = new Socket(); Socket second = new Socket()) {
                first.connect(a.address(), 10_000);
                first.setSoTimeout(10_000);
                for (int i = 0; i < 1000 && taken.isEmpty(); i++) runBriefly(g.get(0));   // loop 0 by hand, loop 1 never
                assertEquals(List.of(0), taken, "loop 0's own turn: taken at once");
                assertEquals(-1, first.getInputStream().read());
                second.connect(a.address(), 10_000);   // loop 1's turn: queued for it
                second.setSoTimeout(10_000);
                for (int i = 0; i < 50; i++) runBriefly(g.get(0));
                assertEquals(List.of(0), taken, "loop 1 never ran: nothing more was taken");
                h.close();
                assertEquals(-1, second.getInputStream().read(), "the queued fd was closed");
            }
        }
    }

    /** One iteration without waiting, then 10 ms for the kernel. */
    private static void runBriefly(EventLoop loop) throws Exception {
        loop.runOnce(0);
        Thread.sleep(10);
    }

    @Test
    void listenersSharingAPortGetTheConnectionsSpreadAndAPortInUseIsRefused(TestInfo info) throws Exception {
        if (!Portable.REUSEPORT_SPREADS) Skip.because(info, "SO_REUSEPORT does not spread connections here: " + Portable.describe());
        try (LoopGroup g = LoopGroup.open(Backend.POLL, 2, LOG)) {
            AtomicInteger[] got = {new AtomicInteger(), new AtomicInteger()};
            Acceptor first = Acceptor.listen(g.get(0), "127.0.0.1", 0, Acceptor.Sharing.FIRST, fd -> {
                got[0].incrementAndGet();
                Unistd.closeQuietly(fd);
            }, e -> g.fail(e), LOG);
            int port = first.address().getPort();
            Acceptor.listen(g.get(1), "127.0.0.1", port, Acceptor.Sharing.JOIN, fd -> {
                got[1].incrementAndGet();
                Unistd.closeQuietly(fd);
            }, e -> g.fail(e), LOG);
            IOException inUse = assertThrows(IOException.class, () -> Acceptor.listen(g.get(1), "127.0.0.1", port,
                    Acceptor.Sharing.FIRST, Unistd::closeQuietly, e -> {}, LOG));
            assertTrue(inUse.getMessage().contains("EADDRINUSE"), inUse.getMessage());
            IOException alone = assertThrows(IOException.class, () -> Acceptor.listen(g.get(1), "127.0.0.1", port,
                    Unistd::closeQuietly, e -> {}, LOG));
            assertTrue(alone.getMessage().contains("EADDRINUSE"), alone.getMessage());

            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread caller = start(g, "group-reuseport", failure);
            for (int i = 0; i < 40; i++) {
                try (Socket s = new Socket()) {
                    s.setSoTimeout(10_000);
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    InputStream in = s.getInputStream();
                    assertEquals(-1, in.read());
                }
            }
            g.stop();
            caller.join(10_000);
            assertEquals(null, failure.get());
            assertEquals(40, got[0].get() + got[1].get());
            // Linux hashes each connection's addresses and ports to one listener: 40 all on one is a 2^-39 chance.
            assertTrue(got[0].get() > 0 && got[1].get() > 0, "spread: " + got[0] + " and " + got[1]);
        }
    }
}
