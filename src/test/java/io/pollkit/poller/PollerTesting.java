package io.pollkit.poller;

import io.pollkit.bindings.linger;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Rlimit;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.TestInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_LINGER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Helpers for the poller tests, in the manner of mio's {@code tests/util}: open a backend or skip with the
 * reason ({@link Skip}), real sockets that are always closed, and {@link #expectEvents}/{@link #expectNoEvents}.
 */
final class PollerTesting {
    private PollerTesting() {}

    /** How long {@link #expectEvents} keeps polling before it gives up: generous, never a timing claim. */
    static final long EXPECT_MILLIS = 5_000;

    // ---- backends ------------------------------------------------------------------------------------

    /** Opens {@code backend}, or skips the test with the reason it is unavailable (Skip.unlessAvailable). */
    static Poller open(TestInfo test, Backend backend) throws IOException {
        Skip.unlessAvailable(test, backend);
        Poller p = backend.open();
        assertEquals(backend.id(), p.name());
        return p;
    }

    // ---- fds -----------------------------------------------------------------------------------------

    /** The fds a test opened: all closed by {@link #close()}, whatever happened. */
    static final class Fds implements AutoCloseable {
        private final List<Integer> open = new ArrayList<>();

        /** Remembers {@code fd} for closing; returns it. */
        int add(int fd) {
            open.add(fd);
            return fd;
        }

        /** A connected, non-blocking AF_UNIX stream pair. */
        int[] pair() throws ErrnoException {
            int[] p = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
            add(p[0]);
            add(p[1]);
            return p;
        }

        /** A connected, non-blocking TCP pair over 127.0.0.1: {@code {client, accepted}}. */
        int[] tcpPair() throws Exception {
            int listener = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
            try {
                Sockets.bind(listener, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
                Sockets.listen(listener, 4);
                int client = add(Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0));
                assertTrue(Sockets.connect(client, Sockets.getsockname(listener)), "a blocking connect over loopback completes");
                int accepted = Sockets.accept4(listener, null, null, Sockets.NONBLOCK | Sockets.CLOEXEC);
                assertTrue(accepted >= 0, "accept4 on a blocking listener with a queued connection: " + accepted);
                add(accepted);
                Fcntl.setNonBlocking(client, true);
                return new int[] {client, accepted};
            } finally {
                Unistd.close(listener);
            }
        }

        /** Closes {@code fd} now (it must be one of ours). */
        void close(int fd) throws ErrnoException {
            assertTrue(open.remove(Integer.valueOf(fd)), "fd " + fd + " is not one this test opened");
            Unistd.close(fd);
        }

        /** Makes the next close of {@code fd} reset the connection (SO_LINGER {1, 0}), then closes it. */
        void reset(int fd) throws ErrnoException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment l = linger.allocate(arena);
                linger.l_onoff(l, 1);
                linger.l_linger(l, 0);
                Sockets.setsockopt(fd, SOL_SOCKET(), SO_LINGER(), l);
            }
            close(fd);
        }

        @Override
        public void close() {
            for (int fd : open) Unistd.closeQuietly(fd);
            open.clear();
        }
    }

    /** Writes all of {@code text} to a non-blocking fd with room for it. */
    static void write(int fd, String text) throws ErrnoException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(bytes.length);
            buf.copyFrom(MemorySegment.ofArray(bytes));
            long n = Unistd.write(fd, buf, bytes.length);
            assertEquals(bytes.length, n, "write(fd=" + fd + ") of " + bytes.length + " bytes");
        }
    }

    /** One read of up to 4096 bytes: the count, 0 at end of stream, or -1 (WOULD_BLOCK). */
    static long read(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return Unistd.read(fd, arena.allocate(4096), 4096);
        }
    }

    /** The entries of /proc/self/fd (the listing's own fd among them): compare two counts, never one with a constant. */
    static long openFds() {
        return io.pollkit.testing.Proc.openFds();
    }

    /**
     * Calls {@code body} with the soft RLIMIT_NOFILE lowered so that only the next {@code k} fds can be opened
     * (the (k+1)th open fails with EMFILE), then restores the limit.
     */
    static <T> T withFdsLeft(int k, Callable<T> body) throws Exception {
        int limit = 0;
        for (int free = 0; ; limit++) {
            if (!isOpen(limit) && free++ == k) break;
        }
        Rlimit.Limit old = Rlimit.getrlimit(RLIMIT_NOFILE());
        Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(limit, old.max()));
        try {
            return body.call();
        } finally {
            Rlimit.setrlimit(RLIMIT_NOFILE(), old);
        }
    }

    static boolean isOpen(int fd) {
        try {
            Fcntl.fcntl(fd, F_GETFD());
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    /** Raises the soft RLIMIT_NOFILE to at least {@code needed}, or returns why it cannot (null when done). */
    static String ensureNofile(long needed) throws ErrnoException {
        Rlimit.Limit lim = Rlimit.getrlimit(RLIMIT_NOFILE());
        if (lim.cur() >= needed || lim.cur() < 0) return null;   // < 0: RLIM_INFINITY read as signed
        if (lim.max() >= 0 && lim.max() < needed) {
            return "RLIMIT_NOFILE hard limit " + lim.max() + " is below the " + needed + " fds this test needs";
        }
        Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(needed, lim.max()));
        return null;
    }

    // ---- time ----------------------------------------------------------------------------------------

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** The poll waited out its timeout: at least {@code timeoutMillis} - 5 ms went by. */
    static void assertWaited(long startNanos, long timeoutMillis) {
        long waited = millisSince(startNanos);
        assertTrue(waited >= timeoutMillis - 5, "poll returned after " + waited + " ms, before its " + timeoutMillis + " ms timeout");
    }

    /** The poll returned early: well before {@code limitMillis} (a generous bound, not a speed claim). */
    static void assertEarly(long startNanos, long limitMillis, String what) {
        long took = millisSince(startNanos);
        assertTrue(took < limitMillis, what + ": took " + took + " ms, expected well under " + limitMillis + " ms");
    }

    // ---- expectations --------------------------------------------------------------------------------

    /** An expected event: {@code token} with ready bits; {@code all}: every bit, else at least one. */
    record Expect(long token, int bits, boolean all) {
        static Expect all(long token, int bits) {
            return new Expect(token, bits, true);
        }

        static Expect any(long token, int bits) {
            return new Expect(token, bits, false);
        }

        boolean metBy(int ready) {
            return all ? (ready & bits) == bits : (ready & bits) != 0;
        }

        @Override
        public String toString() {
            return "token " + token + " with " + (all ? "all of " : "any of ") + Events.describe(bits);
        }
    }

    /**
     * Polls (up to {@link #EXPECT_MILLIS}) until every expectation is met, OR-ing the ready bits each token
     * gathers (kqueue reports read and write of one fd as two events). Returns what each token gathered.
     * Fails if the waker's token ever leaks out, or an expectation is not met in time.
     */
    static Map<Long, Integer> expectEvents(Poller p, Events events, Expect... expected) throws IOException {
        Map<Long, Integer> seen = new LinkedHashMap<>();
        long deadline = System.nanoTime() + EXPECT_MILLIS * 1_000_000;
        for (;;) {
            int n = p.poll(events, 100);
            assertEquals(events.size(), n, "poll's result is the number of events in the buffer");
            for (int i = 0; i < n; i++) {
                assertNotEquals(Waker.TOKEN, events.token(i), "the waker's token is never reported");
                assertNotEquals(0, events.ready(i), "an event has ready bits");
                seen.merge(events.token(i), events.ready(i), (a, b) -> a | b);
            }
            boolean met = true;
            for (Expect e : expected) met &= e.metBy(seen.getOrDefault(e.token(), 0));
            if (met) return seen;
            if (System.nanoTime() > deadline) {
                fail(p.name() + ": expected " + List.of(expected) + " within " + EXPECT_MILLIS + " ms; got " + describe(seen));
            }
        }
    }

    /** One poll of {@code timeoutMillis} reports nothing. */
    static void expectNoEvents(Poller p, Events events, long timeoutMillis) throws IOException {
        int n = p.poll(events, timeoutMillis);
        if (n != 0) {
            Map<Long, Integer> seen = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) seen.merge(events.token(i), events.ready(i), (a, b) -> a | b);
            fail(p.name() + ": expected no events, got " + describe(seen));
        }
    }

    static String describe(Map<Long, Integer> seen) {
        if (seen.isEmpty()) return "no events";
        StringBuilder b = new StringBuilder();
        seen.forEach((t, r) -> b.append(b.isEmpty() ? "" : ", ").append("token ").append(t).append(": ").append(Events.describe(r)));
        return b.toString();
    }
}
