package io.pollkit.loop;

import io.pollkit.poller.Poller;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Netdb;
import io.pollkit.sys.Results;
import io.pollkit.sys.SockAddr;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;

import static io.pollkit.bindings.errno_h.EMFILE;
import static io.pollkit.bindings.errno_h.ENFILE;
import static io.pollkit.bindings.errno_h.ENOBUFS;
import static io.pollkit.bindings.errno_h.ENOMEM;
import static io.pollkit.bindings.sys_socket_h.AF_UNSPEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_NONBLOCK;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SOMAXCONN;
import static io.pollkit.bindings.sys_socket_h.SO_REUSEADDR;

/**
 * A listening TCP socket on an {@link EventLoop} that accepts with accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)
 * and hands each new fd on. When the process or system is out of fds (EMFILE, ENFILE) it stops watching
 * the listener for {@link #PAUSE_MILLIS} instead of spinning, then tries again: accepting resumes by
 * itself once fds are free. Pending connections wait in the kernel's backlog meanwhile.
 */
public final class Acceptor {
    /** What to do with an accepted, non-blocking fd; the callee owns it. */
    @FunctionalInterface
    public interface Accepted {
        void accepted(int fd) throws IOException;
    }

    static final long PAUSE_MILLIS = 100;
    private static final int ACCEPTS_PER_EVENT = 64;

    private final EventLoop loop;
    private final int fd;
    private final InetSocketAddress address;
    private final Accepted accepted;
    private final PrintStream log;
    private boolean paused;

    private Acceptor(EventLoop loop, int fd, InetSocketAddress address, Accepted accepted, PrintStream log) {
        this.loop = loop;
        this.fd = fd;
        this.address = address;
        this.accepted = accepted;
        this.log = log;
    }

    /**
     * Listens on {@code host}:{@code port} (port 0: a free one) with SO_REUSEADDR and a backlog of SOMAXCONN (the
     * kernel caps it at net.core.somaxconn), as the C servers do: a short queue overflows when hundreds of
     * clients connect at once, and each handshake it drops waits for a TCP retransmission timeout.
     */
    public static Acceptor listen(EventLoop loop, String host, int port, Accepted accepted, PrintStream log) throws IOException {
        Netdb.AddrInfo ai = Netdb.getaddrinfo(host, Integer.toString(port), AF_UNSPEC(), SOCK_STREAM(), 0).get(0);
        int fd = Sockets.socket(ai.family(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET(), SO_REUSEADDR(), 1);
            Sockets.bind(fd, ai.address());
            Sockets.listen(fd, SOMAXCONN());
            Acceptor a = new Acceptor(loop, fd, (InetSocketAddress) Sockets.getsockname(fd), accepted, log);
            loop.register(fd, Poller.READ, (f, ready) -> a.acceptAll());
            return a;
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    /** The address it listens on, with the real port. */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code HOST:PORT} as in the "listening on" line ({@code [::1]:8080} for IPv6). */
    public String hostPort() {
        return SockAddr.format(address);
    }

    private void acceptAll() throws IOException {
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            int client;
            try {
                client = Sockets.accept4(fd, null, null, Sockets.NONBLOCK | Sockets.CLOEXEC);
            } catch (ErrnoException e) {
                int err = e.errno();
                if (err == EMFILE() || err == ENFILE() || err == ENOBUFS() || err == ENOMEM()) {
                    pause(e);
                    return;
                }
                throw e;
            }
            if (client == Results.WOULD_BLOCK) return;
            paused = false;
            accepted.accepted(client);
        }
    }

    private void pause(ErrnoException e) throws IOException {
        if (!paused) log.println(e.getMessage() + "; pausing accepts for " + PAUSE_MILLIS + " ms at a time until fds are free");
        paused = true;
        loop.modify(fd, 0);
        loop.schedule(PAUSE_MILLIS, () -> {
            try {
                if (loop.owns(fd)) loop.modify(fd, Poller.READ);   // level-triggered: pending ones show at once
            } catch (IOException x) {
                log.println("resuming accepts: " + x.getMessage());
            }
        });
    }

    /** Stops listening. */
    public void close() {
        loop.close(fd);
    }
}
