package io.pollkit.server;

import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.net.InetSocketAddress;

import static io.pollkit.bindings.netinet_in_h.IPPROTO_TCP;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_RCVBUF;

/**
 * A client that never reads and keeps the server's kernel buffering for it small, so that a slow trickle
 * (5-byte ticks) reaches the server's queue cap in seconds: a tiny receive buffer, and a tiny MSS. On
 * loopback the MSS is about 64 KiB, and Linux sizes a new connection's send buffer from it (10 segments,
 * doubled: megabytes), which ticks would need many minutes to fill; with an MSS of 88 it is about 20 KiB.
 * Uses pollkit's own socket calls because java.net.Socket cannot set TCP_MAXSEG.
 */
final class NonReader implements AutoCloseable {
    /** {@code TCP_MAXSEG} from {@code <netinet/tcp.h>}: 2 on Linux (every architecture), macOS and the BSDs. */
    private static final int TCP_MAXSEG = 2;
    private static final int MIN_MSS = 88;   // Linux's TCP_MIN_MSS

    final int fd;

    private NonReader(int fd) {
        this.fd = fd;
    }

    /** A blocking connection to 127.0.0.1:{@code port} with a 1 KiB receive buffer and the smallest MSS. */
    static NonReader connect(int port) throws IOException {
        int fd = Sockets.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1024);
            Sockets.setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, MIN_MSS);
            Sockets.connect(fd, new InetSocketAddress("127.0.0.1", port));
            return new NonReader(fd);
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    @Override
    public void close() {
        Unistd.closeQuietly(fd);
    }
}
