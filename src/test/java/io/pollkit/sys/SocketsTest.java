package io.pollkit.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

import static io.pollkit.bindings.errno_h.EADDRINUSE;
import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.errno_h.ECONNREFUSED;
import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.errno_h.EPIPE;
import static io.pollkit.bindings.netinet_in_h.IPPROTO_TCP;
import static io.pollkit.bindings.netinet_in_h.TCP_NODELAY;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_INET6;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.MSG_PEEK;
import static io.pollkit.bindings.sys_socket_h.SHUT_WR;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_ERROR;
import static io.pollkit.bindings.sys_socket_h.SO_REUSEADDR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round trips through the raw layer over real loopback sockets, and errors with their names. */
class SocketsTest {

    /** listen, connect, accept4, then a message each way; returns nothing, fails on any mismatch. */
    private static void roundTrip(int family, SocketAddress bindTo) throws Exception {
        int listener = Loopback.listener(family, bindTo);
        int client = -1, server = -1;
        try {
            SocketAddress bound = Sockets.getsockname(listener);
            client = Sockets.socket(family, SOCK_STREAM() | Sockets.CLOEXEC, 0);
            assertTrue(Sockets.connect(client, bound), "a blocking connect completes");
            server = Sockets.accept4(listener, null, null, Sockets.CLOEXEC);
            assertTrue(server >= 0);
            assertEquals(Sockets.getsockname(client), Sockets.getpeername(server));

            Loopback.writeFully(client, "ping\n");
            assertEquals("ping\n", Loopback.readExactly(server, 5));
            Loopback.writeFully(server, "pong\n");
            assertEquals("pong\n", Loopback.readExactly(client, 5));

            Sockets.shutdown(client, SHUT_WR());
            try (Arena arena = Arena.ofConfined()) {
                assertEquals(0, Unistd.read(server, arena.allocate(16), 16), "read 0 after the peer's shutdown");
            }
        } finally {
            Unistd.closeQuietly(client);
            Unistd.closeQuietly(server);
            Unistd.closeQuietly(listener);
        }
    }

    @Test
    void ipv4RoundTrip() throws Exception {
        roundTrip(AF_INET(), Loopback.any4());
    }

    @Test
    void ipv6RoundTrip() throws Exception {
        roundTrip(AF_INET6(), Loopback.any6());
    }

    @Test
    void unixRoundTrip(@TempDir Path dir) throws Exception {
        roundTrip(AF_UNIX(), UnixDomainSocketAddress.of(dir.resolve("s.sock")));
    }

    @Test
    void socketpairRoundTripWithSendAndRecv() throws Exception {
        int[] fds = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("hello");
            assertEquals(5, Sockets.send(fds[0], out, 5, Sockets.NOSIGNAL));
            MemorySegment in = arena.allocate(16);
            assertEquals(5, Sockets.recv(fds[1], in, 16, MSG_PEEK()), "MSG_PEEK leaves the bytes queued");
            assertEquals(5, Sockets.recv(fds[1], in, 16, 0));
            assertEquals("hello", in.getString(0).substring(0, 5));
        } finally {
            Unistd.close(fds[0]);
            Unistd.close(fds[1]);
        }
    }

    @Test
    void nonBlockingReadReturnsTheWouldBlockSentinel() throws Exception {
        int[] fds = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8);
            assertEquals(Results.WOULD_BLOCK, Unistd.read(fds[0], buf, 8));
            assertEquals(Results.WOULD_BLOCK, Sockets.recv(fds[0], buf, 8, 0));
            int listener = Loopback.listener(AF_INET(), Loopback.any4());
            Fcntl.setNonBlocking(listener, true);
            assertEquals(Results.WOULD_BLOCK, Sockets.accept4(listener, null, null, Sockets.NONBLOCK));
            Unistd.close(listener);
        } finally {
            Unistd.close(fds[0]);
            Unistd.close(fds[1]);
        }
    }

    /**
     * DONTWAIT takes recv and send through their critical downcalls: on a blocking socket they still never wait
     * (a critical call that blocked would hold up every safepoint of the JVM), and errno still comes back.
     */
    @Test
    void dontwaitNeverBlocksOnABlockingSocketAndKeepsErrno() throws Exception {
        int[] fds = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);   // blocking
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(1 << 20);
            assertEquals(Results.WOULD_BLOCK, Sockets.recv(fds[0], buf, 16, Sockets.DONTWAIT), "nothing to read: no wait");
            long sent = 0;
            for (long n; (n = Sockets.send(fds[1], buf, buf.byteSize(), Sockets.NOSIGNAL | Sockets.DONTWAIT)) != Results.WOULD_BLOCK; ) {
                sent += n;
                assertTrue(sent < 64L << 20, "the peer never reads, so its buffer fills");
            }
            assertTrue(sent > 0, "bytes went out before the buffer filled");
            assertEquals(16, Sockets.recv(fds[0], buf, 16, Sockets.DONTWAIT), "what was sent arrives");
            Unistd.close(fds[0]);
            fds[0] = -1;
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> Sockets.send(fds[1], buf, 1, Sockets.NOSIGNAL | Sockets.DONTWAIT));
            assertEquals(EPIPE(), e.errno(), "errno comes back through the critical downcall");
        } finally {
            for (int fd : fds) if (fd >= 0) Unistd.closeQuietly(fd);
        }
    }

    @Test
    void bindTwiceIsEaddrinuseWithTheCallAndAddressInTheMessage() throws Exception {
        int first = Loopback.listener(AF_INET(), Loopback.any4());
        int second = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            InetSocketAddress taken = (InetSocketAddress) Sockets.getsockname(first);
            ErrnoException e = assertThrows(ErrnoException.class, () -> Sockets.bind(second, taken));
            assertEquals(EADDRINUSE(), e.errno());
            assertEquals("EADDRINUSE", e.errnoName());
            assertEquals("bind(fd=" + second + ", 127.0.0.1:" + taken.getPort() + "): EADDRINUSE (Address already in use)",
                    e.getMessage());
        } finally {
            Unistd.close(first);
            Unistd.close(second);
        }
    }

    @Test
    void connectToAClosedPortIsEconnrefused() throws Exception {
        int probe = Loopback.listener(AF_INET(), Loopback.any4());
        SocketAddress closed = Sockets.getsockname(probe);
        Unistd.close(probe);   // nothing listens there now
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            ErrnoException e = assertThrows(ErrnoException.class, () -> Sockets.connect(fd, closed));
            assertEquals(ECONNREFUSED(), e.errno());
            assertTrue(e.getMessage().endsWith("ECONNREFUSED (Connection refused)"), e.getMessage());
        } finally {
            Unistd.close(fd);
        }
    }

    @Test
    void nonBlockingConnectReportsTheErrorThroughSoError() throws Exception {
        int probe = Loopback.listener(AF_INET(), Loopback.any4());
        SocketAddress closed = Sockets.getsockname(probe);
        Unistd.close(probe);
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            if (!Sockets.connect(fd, closed)) {
                MemorySegment pfd = io.pollkit.bindings.pollfd.allocate(arena);
                io.pollkit.bindings.pollfd.fd(pfd, fd);
                io.pollkit.bindings.pollfd.events(pfd, (short) io.pollkit.bindings.poll_h.POLLOUT());
                assertEquals(1, Poll.poll(pfd, 1, 5000));
            }
            assertEquals(ECONNREFUSED(), Sockets.getsockopt(fd, SOL_SOCKET(), SO_ERROR()));
        } finally {
            Unistd.close(fd);
        }
    }

    @Test
    void closingABadFdIsEbadf() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Unistd.close(1_000_000));
        assertEquals(EBADF(), e.errno());
        assertEquals("close(fd=1000000): EBADF (Bad file descriptor)", e.getMessage());
        ErrnoException r = assertThrows(ErrnoException.class, () -> {
            try (Arena arena = Arena.ofConfined()) {
                Unistd.read(1_000_000, arena.allocate(1), 1);
            }
        });
        assertEquals("EBADF", r.errnoName());
    }

    @Test
    void listenOnAConnectedSocketOrABadShutdownIsEinval() throws Exception {
        int[] fds = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            ErrnoException e = assertThrows(ErrnoException.class, () -> Sockets.shutdown(fds[0], 99));
            assertEquals(EINVAL(), e.errno());
            assertEquals("shutdown(fd=" + fds[0] + ", how=99): EINVAL (Invalid argument)", e.getMessage());
        } finally {
            Unistd.close(fds[0]);
            Unistd.close(fds[1]);
        }
    }

    @Test
    void socketOptionsRoundTrip() throws Exception {
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET(), SO_REUSEADDR(), 1);
            assertTrue(Sockets.getsockopt(fd, SOL_SOCKET(), SO_REUSEADDR()) != 0);
            Sockets.setsockopt(fd, IPPROTO_TCP(), TCP_NODELAY(), 1);
            assertTrue(Sockets.getsockopt(fd, IPPROTO_TCP(), TCP_NODELAY()) != 0);
        } finally {
            Unistd.close(fd);
        }
    }

    @Test
    void aUnixPathTooLongForSunPathIsAClearError() {
        String longPath = "/tmp/" + "x".repeat(200);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sockets.bind(0, UnixDomainSocketAddress.of(longPath)));
        assertTrue(e.getMessage().startsWith("Unix socket path is 205 bytes; sun_path holds at most 107"), e.getMessage());
    }

    @Test
    void fcntlTogglesNonBlockingAndCloseOnExec() throws Exception {
        int[] p = Unistd.pipe2(0);
        try {
            Fcntl.setNonBlocking(p[0], true);
            assertTrue((Fcntl.fcntl(p[0], io.pollkit.bindings.fcntl_h.F_GETFL()) & io.pollkit.bindings.fcntl_h.O_NONBLOCK()) != 0);
            Fcntl.setNonBlocking(p[0], false);
            assertFalse((Fcntl.fcntl(p[0], io.pollkit.bindings.fcntl_h.F_GETFL()) & io.pollkit.bindings.fcntl_h.O_NONBLOCK()) != 0);
            Fcntl.setCloseOnExec(p[1], true);
            assertEquals(io.pollkit.bindings.fcntl_h.FD_CLOEXEC(),
                    Fcntl.fcntl(p[1], io.pollkit.bindings.fcntl_h.F_GETFD()) & io.pollkit.bindings.fcntl_h.FD_CLOEXEC());
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
    }

    @Test
    void ipv6ScopeIdSurvivesTheSockaddrRoundTrip() throws Exception {
        java.net.Inet6Address linkLocal = java.net.Inet6Address.getByAddress(null,
                java.net.InetAddress.getByName("fe80::1").getAddress(), 1);
        InetSocketAddress a = new InetSocketAddress(linkLocal, 4242);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(a, arena);
            InetSocketAddress back = assertInstanceOf(InetSocketAddress.class, SockAddr.read(sa, (int) sa.byteSize()));
            assertEquals(4242, back.getPort());
            assertEquals(1, ((java.net.Inet6Address) back.getAddress()).getScopeId());
        }
    }

    @Test
    void getpidIsThisProcess() {
        assertEquals(ProcessHandle.current().pid(), Unistd.getpid());
    }
}
