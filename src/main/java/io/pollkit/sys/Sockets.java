package io.pollkit.sys;

import io.pollkit.bindings.errno_h;
import io.pollkit.bindings.sys_socket_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.SocketAddress;

import static io.pollkit.bindings.errno_h.EAGAIN;
import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.errno_h.EWOULDBLOCK;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code <sys/socket.h>}: socket, socketpair, bind, listen, accept4, connect, shutdown, getsockname,
 * getpeername, setsockopt, getsockopt, recv, send, recvfrom, sendto, recvmsg, sendmsg.
 *
 * <p>The hot calls (accept4, recv, send and their kin) take segments the caller owns and allocate
 * nothing; they return {@link Results#WOULD_BLOCK} for EAGAIN/EWOULDBLOCK. The calls taking a
 * {@link SocketAddress} are conveniences for setup and allocate their sockaddr.
 */
public final class Sockets {
    private Sockets() {}

    private static final MethodHandle SOCKET = Native.errnoCall("socket", sys_socket_h.socket$descriptor());
    private static final MethodHandle SOCKETPAIR = Native.errnoCall("socketpair", sys_socket_h.socketpair$descriptor());
    private static final MethodHandle BIND = Native.errnoCall("bind", sys_socket_h.bind$descriptor());
    private static final MethodHandle LISTEN = Native.errnoCall("listen", sys_socket_h.listen$descriptor());
    private static final MethodHandle ACCEPT = Native.errnoCall("accept", sys_socket_h.accept$descriptor());
    private static final MethodHandle ACCEPT4 = Native.errnoCallOrThrow(Native.LIBC, "accept4",
            sys_socket_h.accept4$descriptor(), "accept4 is not in this C library; pollkit uses accept and fcntl");
    private static final boolean HAS_ACCEPT4 = Native.LIBC.find("accept4").isPresent();
    private static final MethodHandle CONNECT = Native.errnoCall("connect", sys_socket_h.connect$descriptor());
    private static final MethodHandle SHUTDOWN = Native.errnoCall("shutdown", sys_socket_h.shutdown$descriptor());
    private static final MethodHandle GETSOCKNAME = Native.errnoCall("getsockname", sys_socket_h.getsockname$descriptor());
    private static final MethodHandle GETPEERNAME = Native.errnoCall("getpeername", sys_socket_h.getpeername$descriptor());
    private static final MethodHandle SETSOCKOPT = Native.errnoCall("setsockopt", sys_socket_h.setsockopt$descriptor());
    private static final MethodHandle GETSOCKOPT = Native.errnoCall("getsockopt", sys_socket_h.getsockopt$descriptor());
    private static final MethodHandle RECV = Native.errnoCall("recv", sys_socket_h.recv$descriptor());
    private static final MethodHandle SEND = Native.errnoCall("send", sys_socket_h.send$descriptor());
    private static final MethodHandle RECVFROM = Native.errnoCall("recvfrom", sys_socket_h.recvfrom$descriptor());
    private static final MethodHandle SENDTO = Native.errnoCall("sendto", sys_socket_h.sendto$descriptor());
    private static final MethodHandle RECVMSG = Native.errnoCall("recvmsg", sys_socket_h.recvmsg$descriptor());
    private static final MethodHandle SENDMSG = Native.errnoCall("sendmsg", sys_socket_h.sendmsg$descriptor());

    /** socket(2): a new socket fd. */
    public static int socket(int domain, int type, int protocol) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        try {
            for (;;) {
                int fd = (int) SOCKET.invokeExact(st, domain, type, protocol);
                if (fd >= 0) return fd;
                int e = Native.errno(st);
                if (e != EINTR()) throw new ErrnoException("socket(domain=" + domain + ", type=" + type + ", protocol=" + protocol + ")", e);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** socketpair(2): two connected sockets, returned as {@code {fds[0], fds[1]}}. */
    public static int[] socketpair(int domain, int type, int protocol) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment st = Native.errnoState();
            int r = (int) SOCKETPAIR.invokeExact(st, domain, type, protocol, fds);
            if (r < 0) throw new ErrnoException("socketpair(domain=" + domain + ", type=" + type + ")", Native.errno(st));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
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
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) BIND.invokeExact(st, fd, sockaddr, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("bind(fd=" + fd + ", " + SockAddr.format(sockaddr, length) + ")", Native.errno(st));
    }

    /** listen(2). */
    public static void listen(int fd, int backlog) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) LISTEN.invokeExact(st, fd, backlog);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("listen(fd=" + fd + ", backlog=" + backlog + ")", Native.errno(st));
    }

    /**
     * accept4(2), or accept(2) and fcntl(2) where accept4 does not exist. {@code addr} and
     * {@code addrlen} may be null; when given, {@code addrlen} holds the room in {@code addr} on entry.
     * Retries EINTR and ECONNABORTED (a connection reset while queued).
     *
     * @return the new fd, or {@link Results#WOULD_BLOCK}
     * @throws ErrnoException for anything else, EMFILE and ENFILE included (the caller must not spin)
     */
    public static int accept4(int fd, MemorySegment addr, MemorySegment addrlen, int flags) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        MemorySegment a = Native.orNull(addr), l = Native.orNull(addrlen);
        try {
            for (;;) {
                int r = HAS_ACCEPT4 ? (int) ACCEPT4.invokeExact(st, fd, a, l, flags) : (int) ACCEPT.invokeExact(st, fd, a, l);
                if (r >= 0) {
                    if (!HAS_ACCEPT4) Fcntl.applySocketFlags(r, flags);
                    return r;
                }
                int e = Native.errno(st);
                if (e == EAGAIN() || e == EWOULDBLOCK()) return Results.WOULD_BLOCK;
                if (e != EINTR() && e != errno_h.ECONNABORTED()) throw new ErrnoException("accept4(fd=" + fd + ")", e);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
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

    /** connect(2) to a sockaddr; see {@link #connect(int, SocketAddress)}. */
    public static boolean connect(int fd, MemorySegment sockaddr, int length) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) CONNECT.invokeExact(st, fd, sockaddr, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r == 0) return true;
        int e = Native.errno(st);
        if (e == errno_h.EINPROGRESS() || e == EINTR()) return false;
        throw new ErrnoException("connect(fd=" + fd + ", " + SockAddr.format(sockaddr, length) + ")", e);
    }

    /** shutdown(2): {@code SHUT_RD}, {@code SHUT_WR} or {@code SHUT_RDWR}. */
    public static void shutdown(int fd, int how) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) SHUTDOWN.invokeExact(st, fd, how);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("shutdown(fd=" + fd + ", how=" + how + ")", Native.errno(st));
    }

    /** getsockname(2): the local address, for example the port the kernel chose for port 0. */
    public static SocketAddress getsockname(int fd) throws ErrnoException {
        return name(GETSOCKNAME, "getsockname", fd);
    }

    /** getpeername(2): the address of the connected peer. */
    public static SocketAddress getpeername(int fd) throws ErrnoException {
        return name(GETPEERNAME, "getpeername", fd);
    }

    private static SocketAddress name(MethodHandle h, String call, int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.STORAGE_SIZE, 8);
            MemorySegment len = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE);
            MemorySegment st = Native.errnoState();
            int r = (int) h.invokeExact(st, fd, sa, len);
            if (r < 0) throw new ErrnoException(call + "(fd=" + fd + ")", Native.errno(st));
            return SockAddr.read(sa, len.get(JAVA_INT, 0));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
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
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(st, fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("setsockopt(fd=" + fd + ", level=" + level + ", name=" + name + ")", Native.errno(st));
    }

    /** getsockopt(2) for an {@code int} option, such as SO_ERROR after a non-blocking connect. */
    public static int getsockopt(int fd, int level, int name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            getsockopt(fd, level, name, v);
            return v.get(JAVA_INT, 0);
        }
    }

    /** getsockopt(2) into {@code value}; returns the length the kernel wrote. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) value.byteSize());
            MemorySegment st = Native.errnoState();
            int r = (int) GETSOCKOPT.invokeExact(st, fd, level, name, value, len);
            if (r < 0) throw new ErrnoException("getsockopt(fd=" + fd + ", level=" + level + ", name=" + name + ")", Native.errno(st));
            return len.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** recv(2) into the first {@code length} bytes of {@code buf}: bytes read, 0 at end of stream, or WOULD_BLOCK. */
    public static long recv(int fd, MemorySegment buf, long length, int flags) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        for (;;) {
            long r;
            try {
                r = (long) RECV.invokeExact(st, fd, buf, length, flags);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), "recv", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** send(2) of the first {@code length} bytes of {@code buf}: bytes sent (maybe fewer), or WOULD_BLOCK. */
    public static long send(int fd, MemorySegment buf, long length, int flags) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        for (;;) {
            long r;
            try {
                r = (long) SEND.invokeExact(st, fd, buf, length, flags);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), "send", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** recvfrom(2); {@code addr}/{@code addrlen} may be null. Bytes read, or WOULD_BLOCK. */
    public static long recvfrom(int fd, MemorySegment buf, long length, int flags, MemorySegment addr, MemorySegment addrlen)
            throws ErrnoException {
        MemorySegment st = Native.errnoState();
        MemorySegment a = Native.orNull(addr), l = Native.orNull(addrlen);
        for (;;) {
            long r;
            try {
                r = (long) RECVFROM.invokeExact(st, fd, buf, length, flags, a, l);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), "recvfrom", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** sendto(2) to the {@code addrlen}-byte sockaddr {@code addr} (NULL and 0 for a connected socket). */
    public static long sendto(int fd, MemorySegment buf, long length, int flags, MemorySegment addr, int addrlen)
            throws ErrnoException {
        MemorySegment st = Native.errnoState();
        MemorySegment a = Native.orNull(addr);
        for (;;) {
            long r;
            try {
                r = (long) SENDTO.invokeExact(st, fd, buf, length, flags, a, addrlen);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), "sendto", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** recvmsg(2) with a {@code struct msghdr}: bytes read, or WOULD_BLOCK. */
    public static long recvmsg(int fd, MemorySegment msghdr, int flags) throws ErrnoException {
        return msg(RECVMSG, "recvmsg", fd, msghdr, flags);
    }

    /** sendmsg(2) with a {@code struct msghdr}: bytes sent, or WOULD_BLOCK. */
    public static long sendmsg(int fd, MemorySegment msghdr, int flags) throws ErrnoException {
        return msg(SENDMSG, "sendmsg", fd, msghdr, flags);
    }

    private static long msg(MethodHandle h, String call, int fd, MemorySegment msghdr, int flags) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        for (;;) {
            long r;
            try {
                r = (long) h.invokeExact(st, fd, msghdr, flags);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), call, fd, "flags", flags);
            if (n != Native.RETRY) return n;
        }
    }
}
