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
import static io.pollkit.bindings.sys_socket_h.AF_UNSPEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_NONBLOCK;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SOMAXCONN;
import static io.pollkit.bindings.sys_socket_h.SO_REUSEADDR;
import static io.pollkit.bindings.sys_socket_h.SO_REUSEPORT;

/**
 * A listening TCP socket on an {@link EventLoop} that accepts with accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)
 * and hands each new fd on. A failed accept is handled as {@link AcceptError} classifies it: a connection
 * that failed before it was accepted is logged and the next one accepted; when the process or system is
 * out of fds (EMFILE, ENFILE) or memory it stops watching the listener for {@link #PAUSE_MILLIS} instead of
 * spinning, then tries again, so accepting resumes by itself once fds are free (pending connections wait
 * in the kernel's backlog meanwhile); when the listener itself is broken it closes the listener and tells
 * its owner ({@link Broken}), which must end the server rather than live on without accepting.
 */
public final class Acceptor {
    /**
     * What to do with an accepted, non-blocking fd; the callee owns it. A failure of one client is the callee's
     * to handle: what it throws counts as the listener's failure ({@link Broken}).
     */
    @FunctionalInterface
    public interface Accepted {
        void accepted(int fd) throws IOException;
    }

    /**
     * The listener cannot accept any more (accept failed with EBADF, EINVAL, ...; or the listener's callback
     * threw): it is closed already. Called once, on the loop's thread.
     */
    @FunctionalInterface
    public interface Broken {
        void broken(IOException failure);
    }

    /**
     * Whether the listening socket shares its port with others (SO_REUSEPORT), one per event loop, so that the
     * kernel spreads the connections over them where it does ({@link io.pollkit.sys.Portable#REUSEPORT_SPREADS}).
     */
    public enum Sharing {
        /** The port is this socket's alone (no SO_REUSEPORT): a second listener on it fails with EADDRINUSE. */
        NONE,
        /**
         * The first of a group: SO_REUSEPORT, so that the others can join; but a port someone already listens on is
         * still EADDRINUSE, as for {@link #NONE} (an exclusive bind is tried first and released), so that a second
         * server started on a port in use fails instead of quietly taking part of its connections.
         */
        FIRST,
        /** Joins the group the {@link #FIRST} socket began on the same address and port (not 0: the first one's). */
        JOIN
    }

    static final long PAUSE_MILLIS = 100;
    private static final int ACCEPTS_PER_EVENT = 64;

    private final EventLoop loop;
    private final int fd;
    private final InetSocketAddress address;
    private final Accepted accepted;
    private final Broken broken;
    private final PrintStream log;
    private boolean paused, closed;

    private Acceptor(EventLoop loop, int fd, InetSocketAddress address, Accepted accepted, Broken broken, PrintStream log) {
        this.loop = loop;
        this.fd = fd;
        this.address = address;
        this.accepted = accepted;
        this.broken = broken;
        this.log = log;
    }

    /**
     * Listens on {@code host}:{@code port} (port 0: a free one) with SO_REUSEADDR and a backlog of SOMAXCONN (the
     * kernel caps it at net.core.somaxconn), as the C servers do: a short queue overflows when hundreds of
     * clients connect at once, and each handshake it drops waits for a TCP retransmission timeout.
     */
    public static Acceptor listen(EventLoop loop, String host, int port, Accepted accepted, Broken broken, PrintStream log)
            throws IOException {
        return listen(loop, host, port, Sharing.NONE, accepted, broken, log);
    }

    /**
     * Like {@link #listen(EventLoop, String, int, Accepted, Broken, PrintStream)}, sharing the port as {@code sharing}
     * says. A group is one {@link Sharing#FIRST} socket (port 0 picks the port), then {@link Sharing#JOIN} sockets on
     * the port it got, each on its own loop. Linux admits only sockets of the same effective user to a group.
     */
    public static Acceptor listen(EventLoop loop, String host, int port, Sharing sharing, Accepted accepted, Broken broken,
                                  PrintStream log) throws IOException {
        int fd = listeningSocket(host, port, sharing, Sockets.NONBLOCK | Sockets.CLOEXEC);
        try {
            Acceptor a = new Acceptor(loop, fd, (InetSocketAddress) Sockets.getsockname(fd), accepted, broken, log);
            loop.register(fd, Poller.READ, new EventLoop.Handler() {
                @Override
                public void ready(int f, int ready) throws IOException {
                    a.acceptAll();
                }

                // Whatever escaped the listener's callback: the loop would close the listener, so its owner must know.
                @Override
                public void failed(EventLoop l, int f, Exception failure) {
                    a.fail(failure instanceof IOException io ? io : new IOException(failure.toString(), failure));
                }
            });
            return a;
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A TCP socket listening on {@code host}:{@code port} as {@link #listen} opens it (SO_REUSEADDR, a backlog of
     * SOMAXCONN), with {@code flags} (Sockets.NONBLOCK, Sockets.CLOEXEC) on the socket: for a loop that accepts on
     * its own, such as an io_uring completion loop. The caller owns the fd.
     */
    public static int listeningSocket(String host, int port, int flags) throws IOException {
        return listeningSocket(host, port, Sharing.NONE, flags);
    }

    private static int listeningSocket(String host, int port, Sharing sharing, int flags) throws IOException {
        Netdb.AddrInfo ai = Netdb.getaddrinfo(host, Integer.toString(port), AF_UNSPEC(), SOCK_STREAM(), 0).get(0);
        if (sharing == Sharing.FIRST && port != 0) bindAlone(ai);
        int fd = Sockets.socket(ai.family(), SOCK_STREAM() | flags, 0);
        try {
            Sockets.setsockopt(fd, SOL_SOCKET(), SO_REUSEADDR(), 1);
            if (sharing != Sharing.NONE) Sockets.setsockopt(fd, SOL_SOCKET(), SO_REUSEPORT(), 1);
            Sockets.bind(fd, ai.address());
            Sockets.listen(fd, SOMAXCONN());
            return fd;
        } catch (IOException | RuntimeException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Binds a socket without SO_REUSEPORT to the address and closes it: EADDRINUSE when a socket listens there
     * already, with or without SO_REUSEPORT (SO_REUSEADDR, as the listener has, lets it pass connections in TIME_WAIT).
     */
    private static void bindAlone(Netdb.AddrInfo ai) throws IOException {
        int probe = Sockets.socket(ai.family(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try {
            Sockets.setsockopt(probe, SOL_SOCKET(), SO_REUSEADDR(), 1);
            Sockets.bind(probe, ai.address());
        } finally {
            Unistd.closeQuietly(probe);
        }
    }

    /**
     * Like {@link #listen(EventLoop, String, int, Accepted, Broken, PrintStream)}, with a broken listener
     * logged and the loop stopped (its {@link EventLoop#run()} returns): never a loop that lives on without
     * accepting.
     */
    public static Acceptor listen(EventLoop loop, String host, int port, Accepted accepted, PrintStream log) throws IOException {
        return listen(loop, host, port, accepted, failure -> {
            log.println(failure.getMessage() + "; stopping the loop");
            loop.stop();
        }, log);
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
                // No switch on the enum: javac compiles one into a class of its own, loaded at the first failure,
                // and out of fds (EMFILE) no class file can be opened.
                AcceptError kind = AcceptError.of(e.errno());
                if (kind == AcceptError.CONNECTION_FAILED) {
                    log.println(e.getMessage() + "; that connection is dropped, accepting the next one");
                    continue;   // counted: a listener failing forever still yields to the rest of the loop
                }
                if (kind == AcceptError.OUT_OF_RESOURCES) pause(e);
                else fail(AcceptError.listenerBroken(e));
                return;
            }
            if (client == Results.WOULD_BLOCK) return;
            paused = false;
            accepted.accepted(client);
        }
    }

    private void pause(ErrnoException e) throws IOException {
        if (!paused) {
            String until = e.errno() == EMFILE() || e.errno() == ENFILE() ? "fds are free" : "it passes";
            log.println(e.getMessage() + "; pausing accepts for " + PAUSE_MILLIS + " ms at a time until " + until);
        }
        paused = true;
        loop.modify(fd, 0);
        loop.schedule(PAUSE_MILLIS, () -> {
            if (closed) return;   // and the fd number may belong to someone else by now
            try {
                loop.modify(fd, Poller.READ);   // level-triggered: pending ones show at once
            } catch (IOException x) {
                fail(x);   // left unwatched, the listener would never accept again
            }
        });
    }

    /** Closes the unusable listener, then tells the owner, once. */
    private void fail(IOException failure) {
        if (closed) return;
        close();
        broken.broken(failure);
    }

    /** The listening fd, for tests that break it. */
    int fd() {
        return fd;
    }

    /** Stops listening. */
    public void close() {
        closed = true;
        loop.close(fd);
    }
}
