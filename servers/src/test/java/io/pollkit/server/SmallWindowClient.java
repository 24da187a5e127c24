package io.pollkit.server;

import io.pollkit.bindings.pollfd;
import io.pollkit.sys.Poll;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;

import static io.pollkit.bindings.netinet_in_h.IPPROTO_TCP;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.SHUT_WR;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_RCVBUF;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A client that keeps the server's kernel buffering for it small, so that what it does not read reaches
 * the server's own queue after kilobytes, not megabytes: a tiny receive buffer and a tiny MSS. On
 * loopback the MSS is about 64 KiB, and Linux sizes a new connection's send buffer from it (10 segments,
 * doubled: megabytes), which 5-byte ticks would need many minutes to fill; with an MSS of 88 it is about
 * 20 KiB. Uses pollkit's own socket calls because java.net.Socket cannot set TCP_MAXSEG.
 */
final class SmallWindowClient implements AutoCloseable {
    /** {@code TCP_MAXSEG} from {@code <netinet/tcp.h>}: 2 on Linux (every architecture), macOS and the BSDs. */
    private static final int TCP_MAXSEG = 2;
    private static final int MIN_MSS = 88;   // Linux's TCP_MIN_MSS

    final int fd;
    long id;   // the server's number for it

    private SmallWindowClient(int fd) {
        this.fd = fd;
    }

    /** A blocking connection to 127.0.0.1:{@code port} with a 1 KiB receive buffer and the smallest MSS. */
    static SmallWindowClient connect(int port) throws IOException {
        int fd = Sockets.socket(AF_INET(), SOCK_STREAM() | SOCK_CLOEXEC(), 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET(), SO_RCVBUF(), 1024);
            Sockets.setsockopt(fd, IPPROTO_TCP(), TCP_MAXSEG, MIN_MSS);
            Sockets.connect(fd, new InetSocketAddress("127.0.0.1", port));
            return new SmallWindowClient(fd);
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    void send(byte[] data) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(data.length).copyFrom(MemorySegment.ofArray(data));
            for (long off = 0; off < data.length; ) off += Unistd.write(fd, buf.asSlice(off), data.length - off);
        }
    }

    void shutdownOutput() throws IOException {
        Sockets.shutdown(fd, SHUT_WR());
    }

    /** Everything until the server closes; fails when it does not close within {@code timeout}. */
    byte[] readToEnd(Duration timeout) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64 * 1024), pfd = pollfd.allocate(arena);
            for (;;) {
                int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                pfd.set(pollfd.fd$layout(), pollfd.fd$offset(), fd);
                pfd.set(pollfd.events$layout(), pollfd.events$offset(), (short) POLLIN());
                if (Poll.poll(pfd, 1, left) <= 0) {
                    if (System.nanoTime() < deadline) continue;
                    throw new AssertionError("the server did not close within " + timeout.toMillis() + " ms; read "
                            + all.size() + " bytes");
                }
                long n = Unistd.read(fd, buf, buf.byteSize());
                if (n == 0) return all.toByteArray();
                if (n > 0) all.write(buf.asSlice(0, n).toArray(JAVA_BYTE), 0, (int) n);
            }
        }
    }

    @Override
    public void close() {
        Unistd.closeQuietly(fd);
    }
}
