package io.pollkit.sys;

import io.pollkit.bindings.msghdr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;

import static io.pollkit.bindings.errno_h.EAGAIN;
import static io.pollkit.bindings.errno_h.ECONNABORTED;
import static io.pollkit.bindings.errno_h.EINPROGRESS;
import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.errno_h.EWOULDBLOCK;
import static io.pollkit.bindings.sys_socket_h.MSG_DONTWAIT;
import static io.pollkit.bindings.sys_socket_h.SOL_SOCKET;
import static io.pollkit.bindings.sys_socket_h.SO_NOSIGPIPE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code <sys/socket.h>}: socket, socketpair, bind, listen, accept4, connect, shutdown, getsockname,
 * getpeername, setsockopt, getsockopt, recv, send, recvfrom, sendto, recvmsg, sendmsg.
 *
 * <p>The hot calls (accept4, recv, send and their kin) take segments the caller owns and allocate
 * nothing; they return {@link Results#WOULD_BLOCK} for EAGAIN/EWOULDBLOCK. A length past its segment
 * is an IndexOutOfBoundsException before the call. The calls taking a {@link SocketAddress} are
 * conveniences for setup and allocate their sockaddr.
 */
public final class Sockets {
    private Sockets() {}

    /** O_NONBLOCK for the type of {@link #socket}/{@link #socketpair} and the flags of {@link #accept4}: {@link Portable#NONBLOCK}. */
    public static final int NONBLOCK = Portable.NONBLOCK;
    /** FD_CLOEXEC for the type of {@link #socket}/{@link #socketpair} and the flags of {@link #accept4}: {@link Portable#CLOEXEC}. */
    public static final int CLOEXEC = Portable.CLOEXEC;
    /** The flags to pass to every send so that a reset peer is EPIPE, never SIGPIPE: {@link Portable#SEND_FLAGS}. */
    public static final int NOSIGNAL = Portable.SEND_FLAGS;
    /**
     * MSG_DONTWAIT: with it {@link #recv} and {@link #send} cannot block, whatever the fd's mode, and so they go
     * through a downcall linked with {@code Linker.Option.critical} (no thread-state transition around the call;
     * W4 measures the saving), unless {@code -Dpollkit.critical=false}.
     */
    public static final int DONTWAIT = MSG_DONTWAIT();
    private static final boolean CRITICAL = !"false".equals(System.getProperty("pollkit.critical"));

    /**
     * socket(2): a new socket fd. {@link #NONBLOCK} and {@link #CLOEXEC} may be or-ed into {@code type}
     * (SOCK_NONBLOCK and SOCK_CLOEXEC on Linux, fcntl after the call on macOS); where SO_NOSIGPIPE exists
     * the socket gets it.
     */
    public static int socket(int domain, int type, int protocol) throws ErrnoException {
        int fd;
        int t = Portable.OWN_FLAGS ? type & ~(NONBLOCK | CLOEXEC) : type;
        do fd = Ffm.socket(domain, t, protocol); while (fd == -EINTR());
        if (fd < 0) throw new ErrnoException("socket(domain=" + domain + ", type=" + type + ", protocol=" + protocol + ")", -fd);
        return configure(fd, type);
    }

    /** socketpair(2): two connected sockets, returned as {@code {fds[0], fds[1]}}; {@code type} as for {@link #socket}. */
    public static int[] socketpair(int domain, int type, int protocol) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r;
            int t = Portable.OWN_FLAGS ? type & ~(NONBLOCK | CLOEXEC) : type;
            do r = Ffm.socketpair(domain, t, protocol, fds); while (r == -EINTR());
            if (r < 0) throw new ErrnoException("socketpair(domain=" + domain + ", type=" + type + ")", -r);
            int[] sv = {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
            try {
                configure(sv[0], type);
                configure(sv[1], type);
            } catch (ErrnoException e) {
                Unistd.closeQuietly(sv[0]);
                Unistd.closeQuietly(sv[1]);
                throw e;
            }
            return sv;
        }
    }

    /**
     * The portable half of socket(), socketpair() and accept(): pollkit's own NONBLOCK/CLOEXEC bits as
     * fcntl calls, SO_NOSIGPIPE where it exists. Nothing on Linux's own paths.
     */
    private static int configure(int fd, int flags) throws ErrnoException {
        if (!Portable.OWN_FLAGS && !Portable.SO_NOSIGPIPE) return fd;
        try {
            if (Portable.OWN_FLAGS) Fcntl.applySocketFlags(fd, flags);
            if (Portable.SO_NOSIGPIPE) setsockopt(fd, SOL_SOCKET(), SO_NOSIGPIPE(), 1);
            return fd;
        } catch (ErrnoException e) {
            Unistd.closeQuietly(fd);
            throw e;
        }
    }

    /** bind(2) to {@code address}. */
    public static void bind(int fd, SocketAddress address) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(address, arena);
            bind(fd, sa, (int) sa.byteSize());
        }
    }

    /** bind(2) to the {@code length}-byte sockaddr {@code sockaddr}. */
    public static void bind(int fd, MemorySegment sockaddr, int length) throws ErrnoException {
        Bounds.bytes(sockaddr, length, "bind", "addrlen");
        int r;
        do r = Ffm.bind(fd, sockaddr, length); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("bind(fd=" + fd + ", " + SockAddr.format(sockaddr, length) + ")", -r);
    }

    /** listen(2). */
    public static void listen(int fd, int backlog) throws ErrnoException {
        int r;
        do r = Ffm.listen(fd, backlog); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("listen(fd=" + fd + ", backlog=" + backlog + ")", -r);
    }

    /**
     * accept4(2), or accept(2) and fcntl(2) where accept4 does not exist ({@link Portable#ACCEPT4}); {@code flags}:
     * {@link #NONBLOCK}, {@link #CLOEXEC}. {@code addr} and
     * {@code addrlen} may be null; when given, {@code addrlen} holds the room in {@code addr} on entry
     * (at most {@code addr}'s size). Retries EINTR and ECONNABORTED (a connection reset while queued).
     *
     * @return the new fd, or {@link Results#WOULD_BLOCK}
     * @throws ErrnoException for anything else, EMFILE and ENFILE included (the caller must not spin)
     */
    public static int accept4(int fd, MemorySegment addr, MemorySegment addrlen, int flags) throws ErrnoException {
        addressRoom(addr, addrlen, "accept4");
        MemorySegment a = Native.orNull(addr), l = Native.orNull(addrlen);
        for (;;) {
            int r = Portable.ACCEPT4 ? Ffm.accept4(fd, a, l, flags) : Ffm.accept(fd, a, l);
            if (r >= 0) return Portable.ACCEPT4 ? r : configure(r, flags);
            if (r == -EAGAIN() || r == -EWOULDBLOCK()) return Results.WOULD_BLOCK;
            if (r != -EINTR() && r != -ECONNABORTED()) throw new ErrnoException("accept4(fd=" + fd + ")", -r);
        }
    }

    /**
     * connect(2) to {@code address}.
     *
     * @return true when connected, false when a non-blocking connect is in progress (EINPROGRESS, or
     *     EINTR, after which the connection also goes on): wait for writable, then read SO_ERROR
     */
    public static boolean connect(int fd, SocketAddress address) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(address, arena);
            return connect(fd, sa, (int) sa.byteSize());
        }
    }

    /** connect(2) to the {@code length}-byte sockaddr {@code sockaddr}; see {@link #connect(int, SocketAddress)}. */
    public static boolean connect(int fd, MemorySegment sockaddr, int length) throws ErrnoException {
        Bounds.bytes(sockaddr, length, "connect", "addrlen");
        int r = Ffm.connect(fd, sockaddr, length);
        if (r == 0) return true;
        if (r == -EINPROGRESS() || r == -EINTR()) return false;
        throw new ErrnoException("connect(fd=" + fd + ", " + SockAddr.format(sockaddr, length) + ")", -r);
    }

    /** shutdown(2): {@code SHUT_RD}, {@code SHUT_WR} or {@code SHUT_RDWR}. */
    public static void shutdown(int fd, int how) throws ErrnoException {
        int r;
        do r = Ffm.shutdown(fd, how); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("shutdown(fd=" + fd + ", how=" + how + ")", -r);
    }

    /** getsockname(2): the local address, for example the port the kernel chose for port 0. */
    public static SocketAddress getsockname(int fd) throws ErrnoException {
        return name(false, fd);
    }

    /** getpeername(2): the address of the connected peer. */
    public static SocketAddress getpeername(int fd) throws ErrnoException {
        return name(true, fd);
    }

    private static SocketAddress name(boolean peer, int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.STORAGE_SIZE, 8);
            MemorySegment len = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE);
            int r;
            do r = peer ? Ffm.getpeername(fd, sa, len) : Ffm.getsockname(fd, sa, len); while (r == -EINTR());
            if (r < 0) throw new ErrnoException((peer ? "getpeername" : "getsockname") + "(fd=" + fd + ")", -r);
            return SockAddr.read(sa, len.get(JAVA_INT, 0));
        }
    }

    /** setsockopt(2) for an {@code int} option such as SO_REUSEADDR or TCP_NODELAY. */
    public static void setsockopt(int fd, int level, int name, int value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /** setsockopt(2) with the option value in {@code value} (its whole size is passed as optlen). */
    public static void setsockopt(int fd, int level, int name, MemorySegment value) throws ErrnoException {
        int r;
        do r = Ffm.setsockopt(fd, level, name, value, (int) value.byteSize()); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("setsockopt(fd=" + fd + ", level=" + level + ", name=" + name + ")", -r);
    }

    /** getsockopt(2) for an {@code int} option, such as SO_ERROR after a non-blocking connect. */
    public static int getsockopt(int fd, int level, int name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            getsockopt(fd, level, name, v);
            return v.get(JAVA_INT, 0);
        }
    }

    /** getsockopt(2) into {@code value} (its whole size is the room); returns the length the kernel wrote. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) value.byteSize());
            int r;
            do r = Ffm.getsockopt(fd, level, name, value, len); while (r == -EINTR());
            if (r < 0) throw new ErrnoException("getsockopt(fd=" + fd + ", level=" + level + ", name=" + name + ")", -r);
            return len.get(JAVA_INT, 0);
        }
    }

    /**
     * recv(2) into the first {@code length} bytes of {@code buf}: bytes read, 0 at end of stream, or WOULD_BLOCK.
     * With {@link #DONTWAIT} in {@code flags} the call cannot block and is made without a thread-state transition.
     */
    public static long recv(int fd, MemorySegment buf, long length, int flags) throws ErrnoException {
        Bounds.bytes(buf, length, "recv", "len");
        boolean critical = CRITICAL && (flags & DONTWAIT) != 0;
        for (;;) {
            long r = critical ? Ffm.recv$critical(fd, buf, length, flags) : Ffm.recv(fd, buf, length, flags);
            long n = Native.transfer(r, "recv", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * send(2) of the first {@code length} bytes of {@code buf}: bytes sent (maybe fewer), or WOULD_BLOCK. With
     * {@link #DONTWAIT} in {@code flags} the call cannot block and is made without a thread-state transition.
     */
    public static long send(int fd, MemorySegment buf, long length, int flags) throws ErrnoException {
        Bounds.bytes(buf, length, "send", "len");
        boolean critical = CRITICAL && (flags & DONTWAIT) != 0;
        for (;;) {
            long r = critical ? Ffm.send$critical(fd, buf, length, flags) : Ffm.send(fd, buf, length, flags);
            long n = Native.transfer(r, "send", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * recvfrom(2); {@code addr}/{@code addrlen} may be null, else {@code addrlen} holds the room in
     * {@code addr} on entry (at most {@code addr}'s size). Bytes read, or WOULD_BLOCK.
     */
    public static long recvfrom(int fd, MemorySegment buf, long length, int flags, MemorySegment addr, MemorySegment addrlen)
            throws ErrnoException {
        Bounds.bytes(buf, length, "recvfrom", "len");
        addressRoom(addr, addrlen, "recvfrom");
        MemorySegment a = Native.orNull(addr), l = Native.orNull(addrlen);
        for (;;) {
            long n = Native.transfer(Ffm.recvfrom(fd, buf, length, flags, a, l), "recvfrom", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** sendto(2) to the {@code addrlen}-byte sockaddr {@code addr} (null and 0 for a connected socket). */
    public static long sendto(int fd, MemorySegment buf, long length, int flags, MemorySegment addr, int addrlen)
            throws ErrnoException {
        Bounds.bytes(buf, length, "sendto", "len");
        if (addr != null) Bounds.bytes(addr, addrlen, "sendto", "addrlen");
        else if (addrlen != 0) Bounds.elements(null, addrlen, 1, "sendto", "addrlen");
        MemorySegment a = Native.orNull(addr);
        for (;;) {
            long n = Native.transfer(Ffm.sendto(fd, buf, length, flags, a, addrlen), "sendto", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * recvmsg(2) with a {@code struct msghdr} (the segment must hold one): bytes read, or WOULD_BLOCK.
     * The buffers the msghdr points to are raw addresses the caller keeps valid, as in C.
     */
    public static long recvmsg(int fd, MemorySegment msg, int flags) throws ErrnoException {
        Bounds.struct(msg, msghdr.sizeof(), "recvmsg", "the msghdr");
        for (;;) {
            long n = Native.transfer(Ffm.recvmsg(fd, msg, flags), "recvmsg", fd, "flags", flags);
            if (n != Native.RETRY) return n;
        }
    }

    /** sendmsg(2) with a {@code struct msghdr} (the segment must hold one): bytes sent, or WOULD_BLOCK. */
    public static long sendmsg(int fd, MemorySegment msg, int flags) throws ErrnoException {
        Bounds.struct(msg, msghdr.sizeof(), "sendmsg", "the msghdr");
        for (;;) {
            long n = Native.transfer(Ffm.sendmsg(fd, msg, flags), "sendmsg", fd, "flags", flags);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * The kernel writes up to {@code *addrlen} bytes into {@code addr}: both or neither, a socklen_t in
     * {@code addrlen}, and its value within {@code addr}.
     */
    private static void addressRoom(MemorySegment addr, MemorySegment addrlen, String call) {
        if (addr == null && addrlen == null) return;
        if (addr == null || addrlen == null) {
            throw new IllegalArgumentException(call + ": addr and addrlen are both given or both null");
        }
        Bounds.struct(addrlen, JAVA_INT.byteSize(), call, "addrlen");
        Bounds.bytes(addr, addrlen.get(JAVA_INT, 0), call, "*addrlen");
    }
}
