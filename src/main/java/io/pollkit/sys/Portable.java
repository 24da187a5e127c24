package io.pollkit.sys;

import io.pollkit.bindings.Platform;

import static io.pollkit.bindings.sys_socket_h.MSG_NOSIGNAL;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_NONBLOCK;

/**
 * Every path pollkit chooses by platform, each chosen once, here, when this class initializes, from the
 * generated constants and the C library's symbols; nothing else in pollkit asks which OS it runs on.
 * Linux takes its own calls (accept4, pipe2, eventfd, epoll, SOCK_NONBLOCK on socket(), MSG_NOSIGNAL,
 * POLLRDHUP); macOS, where they do not exist, takes the portable ones (accept then fcntl, pipe then fcntl,
 * a pipe waker, poll/select/kqueue, SO_NOSIGPIPE on each socket).
 *
 * <p>{@code -Dpollkit.force.portable=true} makes Linux take the portable paths too, so that the tests run
 * them where there is no Mac (pom.xml: the {@code portable-paths} execution); it is for tests, not for use.
 * The one piece Linux cannot run is the SO_NOSIGPIPE option itself (Linux has no such option); the JVM
 * ignores SIGPIPE, so the send path without MSG_NOSIGNAL still gets EPIPE there, as on macOS.
 */
public final class Portable {
    private Portable() {}

    /** The system property that makes Linux take the portable (macOS) paths: for tests. */
    public static final String PROPERTY = "pollkit.force.portable";

    /** Whether {@link #PROPERTY} forced the portable paths. */
    public static final boolean FORCED = Boolean.getBoolean(PROPERTY);

    /** accept4 exists: accept with flags in one call; else accept, then fcntl. */
    public static final boolean ACCEPT4 = !FORCED && present("accept4");

    /** pipe2 exists; else pipe, then fcntl. */
    public static final boolean PIPE2 = !FORCED && present("pipe2");

    /** eventfd exists: the pollers' waker is one; else a pipe. */
    public static final boolean EVENTFD = !FORCED && present("eventfd");

    /** epoll exists (Linux). */
    public static final boolean EPOLL = !FORCED && present("epoll_create1");

    /** poll reports POLLRDHUP (Linux): a peer's FIN is a hang-up; elsewhere a readable fd that reads 0 bytes. */
    public static final boolean POLLRDHUP = !FORCED && Platform.defined("POLLRDHUP");

    /** socket() and socketpair() take SOCK_NONBLOCK and SOCK_CLOEXEC in the type; else fcntl after. */
    public static final boolean SOCKET_TYPE_FLAGS = !FORCED && Platform.defined("SOCK_NONBLOCK") && Platform.defined("SOCK_CLOEXEC");

    /**
     * SIGPIPE is turned off per socket with SO_NOSIGPIPE (macOS, the BSDs): set on every socket pollkit
     * creates or accepts; else per send with MSG_NOSIGNAL.
     */
    public static final boolean SO_NOSIGPIPE = Platform.defined("SO_NOSIGPIPE");

    /**
     * The flags for a socket type or accept: O_NONBLOCK. SOCK_NONBLOCK where socket() and accept4 take it;
     * on the portable paths a bit of pollkit's own, above every socket type, that {@link Sockets} turns
     * into fcntl calls and never passes to the kernel.
     */
    public static final int NONBLOCK = SOCKET_TYPE_FLAGS && ACCEPT4 ? SOCK_NONBLOCK() : 1 << 30;

    /** The flag for a socket type or accept: FD_CLOEXEC. SOCK_CLOEXEC, or a bit of pollkit's own; see {@link #NONBLOCK}. */
    public static final int CLOEXEC = SOCKET_TYPE_FLAGS && ACCEPT4 ? SOCK_CLOEXEC() : 1 << 29;

    /** The flags every send passes so that a peer's reset is EPIPE, not SIGPIPE: MSG_NOSIGNAL, or 0 (SO_NOSIGPIPE). */
    public static final int SEND_FLAGS = !FORCED && !SO_NOSIGPIPE && Platform.defined("MSG_NOSIGNAL") ? MSG_NOSIGNAL() : 0;

    /**
     * SO_REUSEPORT spreads new connections over the listening sockets that share a port (Linux 3.9+ hashes each
     * connection to one of them), so that each event loop can accept its own. macOS and the BSDs let such sockets
     * bind but hand every connection to one of them (FreeBSD's balancing option is SO_REUSEPORT_LB), so servers
     * accept on one loop and hand the fds on instead. Linux is told by its epoll.
     */
    public static final boolean REUSEPORT_SPREADS = EPOLL && Platform.defined("SO_REUSEPORT");

    /** Whether {@link #NONBLOCK} and {@link #CLOEXEC} are pollkit's own bits, applied with fcntl. */
    static final boolean OWN_FLAGS = !(SOCKET_TYPE_FLAGS && ACCEPT4);

    private static boolean present(String function) {
        return Platform.isSupported() && Native.LIBC.find(function).isPresent();
    }

    /** What was chosen, for {@code pollkit backends} and test logs. */
    public static String describe() {
        return (FORCED ? "portable paths forced (-D" + PROPERTY + "=true): " : "")
                + (ACCEPT4 ? "accept4" : "accept+fcntl") + ", "
                + (SOCKET_TYPE_FLAGS && !OWN_FLAGS ? "SOCK_NONBLOCK|SOCK_CLOEXEC" : "socket+fcntl") + ", "
                + (PIPE2 ? "pipe2" : "pipe+fcntl") + ", waker " + (EVENTFD ? "eventfd" : "pipe") + ", "
                + (SEND_FLAGS != 0 ? "MSG_NOSIGNAL" : SO_NOSIGPIPE ? "SO_NOSIGPIPE" : "no SIGPIPE guard (the JVM ignores SIGPIPE)")
                + ", " + (POLLRDHUP ? "POLLRDHUP" : "no POLLRDHUP") + ", " + (EPOLL ? "epoll" : "no epoll") + ", "
                + (REUSEPORT_SPREADS ? "SO_REUSEPORT spreads connections" : "SO_REUSEPORT does not spread connections");
    }
}
