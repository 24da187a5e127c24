package io.pollkit.loop;

import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_SNDBUF;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A non-blocking AF_UNIX pair with a small send buffer, so that an out-queue writing into {@link #writer}
 * has to keep bytes, and a reader that checks every byte against a known stream.
 */
final class QueuePeer implements AutoCloseable {
    final int writer, reader;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(1 << 20);

    QueuePeer() throws Exception {
        int[] fds = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        writer = fds[0];
        reader = fds[1];
        Sockets.setsockopt(writer, SOL_SOCKET(), SO_SNDBUF(), 4096);
    }

    /** Byte {@code i} of the stream is {@code (i * 31 + i / 251) & 0xff}: a shift or a repeat shows. */
    static byte at(long i) {
        return (byte) (i * 31 + i / 251);
    }

    /** Fills {@code data} with the stream's bytes from {@code from} on. */
    static void fill(MemorySegment data, long from) {
        for (long i = 0; i < data.byteSize(); i++) data.set(JAVA_BYTE, i, at(from + i));
    }

    /** Reads up to {@code max} bytes, checking each against the stream at {@code position}; returns how many. */
    long drain(int max, long position) throws Exception {
        long total = 0;
        while (total < max) {
            long n = Unistd.read(reader, buf, Math.min(buf.byteSize(), max - total));
            if (n <= 0) break;
            for (long i = 0; i < n; i++) {
                assertEquals(at(position + total + i), buf.get(JAVA_BYTE, i), "byte " + (position + total + i));
            }
            total += n;
        }
        return total;
    }

    @Override
    public void close() {
        Unistd.closeQuietly(writer);
        Unistd.closeQuietly(reader);
        arena.close();
    }
}
