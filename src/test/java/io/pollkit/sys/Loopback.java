package io.pollkit.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test helpers over the raw layer: loopback listeners, blocking exchanges. */
final class Loopback {
    private Loopback() {}

    static InetSocketAddress any4() throws Exception {
        return new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
    }

    static InetSocketAddress any6() throws Exception {
        return new InetSocketAddress(InetAddress.getByName("::1"), 0);
    }

    /** A listening socket bound to {@code address}; returns the fd. */
    static int listener(int family, SocketAddress address) throws ErrnoException {
        int fd = Sockets.socket(family, SOCK_STREAM() | Sockets.CLOEXEC, 0);
        Sockets.bind(fd, address);
        Sockets.listen(fd, 16);
        return fd;
    }

    static void writeFully(int fd, String text) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(text, StandardCharsets.UTF_8);
            long len = text.getBytes(StandardCharsets.UTF_8).length, off = 0;
            while (off < len) off += Unistd.write(fd, buf.asSlice(off), len - off);
        }
    }

    static String readExactly(int fd, int n) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(n);
            long off = 0;
            while (off < n) {
                long r = Unistd.read(fd, buf.asSlice(off), n - off);
                assertEquals(true, r > 0, "read returned " + r + " after " + off + " bytes");
                off += r;
            }
            byte[] bytes = buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
