package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EPIPE;
import static io.pollkit.bindings.fcntl_h.FD_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.fcntl_h.F_GETFL;
import static io.pollkit.bindings.fcntl_h.O_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The paths chosen by platform ({@link Portable}), checked in both modes: Linux's own in the default run,
 * macOS's under {@code -Dpollkit.force.portable=true} (pom.xml: the portable-paths execution). The same
 * results either way: O_NONBLOCK and FD_CLOEXEC where asked, and EPIPE (never a signal) on a reset peer.
 */
class PortablePathsTest {

    @BeforeAll
    static void say() {
        System.out.println("PortablePathsTest on " + Platform.NAME + ": " + Portable.describe());
    }

    @Test
    void theChoicesFollowThePlatformOrTheForcingProperty() {
        boolean linux = Platform.NAME.startsWith("linux") && !Portable.FORCED;
        assertEquals(linux, Portable.ACCEPT4, "accept4");
        assertEquals(linux, Portable.PIPE2, "pipe2");
        assertEquals(linux, Portable.EVENTFD, "eventfd");
        assertEquals(linux, Portable.EPOLL, "epoll");
        assertEquals(linux, Portable.POLLRDHUP, "POLLRDHUP");
        assertEquals(linux, Portable.SOCKET_TYPE_FLAGS, "SOCK_NONBLOCK on socket()");
        assertEquals(!linux, Portable.OWN_FLAGS);
        assertEquals(Platform.defined("SO_NOSIGPIPE"), Portable.SO_NOSIGPIPE);
        if (linux) {
            assertEquals(io.pollkit.bindings.sys_socket_h.SOCK_NONBLOCK(), Sockets.NONBLOCK);
            assertEquals(io.pollkit.bindings.sys_socket_h.MSG_NOSIGNAL(), Sockets.NOSIGNAL);
        } else {
            assertEquals(0, Sockets.NOSIGNAL, "no MSG_NOSIGNAL: SO_NOSIGPIPE on the socket instead");
            assertEquals(0, Sockets.NONBLOCK & 0xffff, "pollkit's own bit, above every socket type");
            assertFalse(EventFd.isAvailable());
            assertFalse(Epoll.isAvailable());
        }
        assertEquals(System.getProperty("pollkit.force.portable") != null, Portable.FORCED,
                "only the portable-paths execution sets the property");
    }

    @Test
    void socketAndSocketpairGetTheFlagsAskedFor() throws Exception {
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try {
            assertFlags(fd, true, true);
        } finally {
            Unistd.close(fd);
        }
        fd = Sockets.socket(AF_INET(), SOCK_STREAM(), 0);
        try {
            assertFlags(fd, false, false);
        } finally {
            Unistd.close(fd);
        }
        int[] sv = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            assertFlags(sv[0], false, true);
            assertFlags(sv[1], false, true);
        } finally {
            Unistd.close(sv[0]);
            Unistd.close(sv[1]);
        }
    }

    @Test
    void acceptGivesTheFlagsAskedForWithOrWithoutAccept4() throws Exception {
        int listener = Loopback.listener(AF_INET(), Loopback.any4());
        int client = -1, a = -1, b = -1;
        try {
            client = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
            assertTrue(Sockets.connect(client, Sockets.getsockname(listener)));
            a = Sockets.accept4(listener, null, null, Sockets.NONBLOCK | Sockets.CLOEXEC);
            assertFlags(a, true, true);
            Unistd.close(client);
            client = Sockets.socket(AF_INET(), SOCK_STREAM(), 0);
            assertTrue(Sockets.connect(client, Sockets.getsockname(listener)));
            b = Sockets.accept4(listener, null, null, 0);
            assertFlags(b, false, false);
        } finally {
            for (int fd : new int[] {listener, client, a, b}) Unistd.closeQuietly(fd);
        }
    }

    @Test
    void pipe2GivesTheFlagsAskedFor() throws Exception {
        int[] p = Unistd.pipe2(O_NONBLOCK() | O_CLOEXEC());
        try {
            assertFlags(p[0], true, true);
            assertFlags(p[1], true, true);
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
        p = Unistd.pipe2(0);
        try {
            assertFlags(p[0], false, false);
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
    }

    @Test
    void sendToAClosedPeerIsEpipeNotASignal() throws Exception {
        int[] sv = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Unistd.close(sv[1]);
            MemorySegment buf = arena.allocate(8);
            ErrnoException e = assertThrows(ErrnoException.class, () -> Sockets.send(sv[0], buf, 8, Sockets.NOSIGNAL));
            assertEquals(EPIPE(), e.errno(), e.getMessage());
        } finally {
            Unistd.close(sv[0]);
        }
    }

    private static void assertFlags(int fd, boolean nonblock, boolean cloexec) throws ErrnoException {
        assertEquals(nonblock, (Fcntl.fcntl(fd, F_GETFL()) & O_NONBLOCK()) != 0, "O_NONBLOCK of fd " + fd);
        assertEquals(cloexec, (Fcntl.fcntl(fd, F_GETFD()) & FD_CLOEXEC()) != 0, "FD_CLOEXEC of fd " + fd);
    }
}
