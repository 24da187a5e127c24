package io.pollkit.server;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;

import static io.pollkit.bindings.netinet_in_h.IPPROTO_TCP;
import static io.pollkit.bindings.netinet_in_h.TCP_NODELAY;

/**
 * TCP_NODELAY on every accepted client, as C's http-hello, Go's net package and nginx's {@code tcp_nodelay} have it:
 * the servers answer requests and batch their own writes (Connection sends a callback's later writes together), so
 * Nagle's algorithm would only hold a second segment back until the first is acknowledged.
 */
final class NoDelay {
    private NoDelay() {}

    /** Sets it; a client that has already gone fails its next read or write instead, where that is handled. */
    static void set(int fd) {
        try {
            Sockets.setsockopt(fd, IPPROTO_TCP(), TCP_NODELAY(), 1);
        } catch (ErrnoException ignored) {
            // ECONNRESET or EINVAL for a connection reset before it was accepted: nothing to tune.
        }
    }
}
