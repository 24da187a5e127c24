package io.pollkit.sys;

import io.pollkit.bindings.sockaddr;
import io.pollkit.bindings.sockaddr_in;
import io.pollkit.bindings.sockaddr_in6;
import io.pollkit.bindings.sockaddr_storage;
import io.pollkit.bindings.sockaddr_un;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_INET6;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Converts between Java socket addresses and C {@code struct sockaddr}s: IPv4 ({@code sockaddr_in}),
 * IPv6 with scope id ({@code sockaddr_in6}) and Unix-domain paths ({@code sockaddr_un}).
 */
public final class SockAddr {
    private SockAddr() {}

    /** {@code sizeof(struct sockaddr_storage)}: room for any address. */
    public static final int STORAGE_SIZE = (int) sockaddr_storage.sizeof();

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** {@code htons}: a port in network byte order. */
    static short htons(int port) {
        return LITTLE_ENDIAN ? Short.reverseBytes((short) port) : (short) port;
    }

    static int ntohs(short port) {
        return Short.toUnsignedInt(LITTLE_ENDIAN ? Short.reverseBytes(port) : port);
    }

    /** Allocates a sockaddr of exactly the address's size and fills it; its length is {@code byteSize()}. */
    public static MemorySegment allocate(SocketAddress address, SegmentAllocator allocator) {
        MemorySegment s = allocator.allocate(STORAGE_SIZE, 8);
        return s.asSlice(0, write(address, s));
    }

    /**
     * Writes {@code address} into {@code dst} (at least {@link #STORAGE_SIZE} bytes) and returns its length.
     *
     * @throws IllegalArgumentException for an unresolved address, or a Unix path too long for sun_path
     */
    public static int write(SocketAddress address, MemorySegment dst) {
        dst.asSlice(0, STORAGE_SIZE).fill((byte) 0);
        if (address instanceof InetSocketAddress inet) {
            InetAddress ip = inet.getAddress();
            if (ip == null) throw new IllegalArgumentException("unresolved address: " + inet);
            if (ip instanceof Inet4Address) {
                sockaddr_in.sin_family(dst, (short) AF_INET());
                sockaddr_in.sin_port(dst, htons(inet.getPort()));
                MemorySegment.copy(ip.getAddress(), 0, dst, JAVA_BYTE,
                        sockaddr_in.sin_addr$offset(), 4);
                return (int) sockaddr_in.sizeof();
            }
            Inet6Address ip6 = (Inet6Address) ip;
            sockaddr_in6.sin6_family(dst, (short) AF_INET6());
            sockaddr_in6.sin6_port(dst, htons(inet.getPort()));
            MemorySegment.copy(ip6.getAddress(), 0, dst, JAVA_BYTE,
                    sockaddr_in6.sin6_addr$offset(), 16);
            sockaddr_in6.sin6_scope_id(dst, ip6.getScopeId());
            return (int) sockaddr_in6.sizeof();
        }
        if (address instanceof UnixDomainSocketAddress unix) {
            byte[] path = unix.getPath().toString().getBytes(StandardCharsets.UTF_8);
            long room = sockaddr_un.sun_path$layout().byteSize();
            if (path.length >= room) {
                throw new IllegalArgumentException("Unix socket path is " + path.length + " bytes; sun_path holds at most "
                        + (room - 1) + " plus the terminating NUL: " + unix.getPath());
            }
            sockaddr_un.sun_family(dst, (short) AF_UNIX());
            MemorySegment.copy(path, 0, dst, JAVA_BYTE, sockaddr_un.sun_path$offset(), path.length);
            return (int) (sockaddr_un.sun_path$offset() + path.length + 1);
        }
        throw new IllegalArgumentException("unsupported address type: " + address.getClass().getName());
    }

    /** Reads the {@code length} bytes of a sockaddr that the kernel filled in. */
    public static SocketAddress read(MemorySegment src, int length) {
        int family = sockaddr.sa_family(src);
        try {
            if (family == AF_INET()) {
                byte[] ip = new byte[4];
                MemorySegment.copy(src, JAVA_BYTE, sockaddr_in.sin_addr$offset(), ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), ntohs(sockaddr_in.sin_port(src)));
            }
            if (family == AF_INET6()) {
                byte[] ip = new byte[16];
                MemorySegment.copy(src, JAVA_BYTE, sockaddr_in6.sin6_addr$offset(), ip, 0, 16);
                int scope = sockaddr_in6.sin6_scope_id(src);
                InetAddress a = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(a, ntohs(sockaddr_in6.sin6_port(src)));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);   // cannot happen: the lengths are right
        }
        if (family == AF_UNIX()) {
            long off = sockaddr_un.sun_path$offset();
            long end = Math.min(length, off + sockaddr_un.sun_path$layout().byteSize());
            long n = 0;
            while (off + n < end && src.get(JAVA_BYTE, off + n) != 0) n++;
            byte[] path = new byte[(int) n];
            MemorySegment.copy(src, JAVA_BYTE, off, path, 0, (int) n);
            return UnixDomainSocketAddress.of(new String(path, StandardCharsets.UTF_8));
        }
        throw new IllegalArgumentException("unsupported address family " + family);
    }

    /** {@code 127.0.0.1:8080}, {@code [::1]:8080}, a Unix path, or the family number: for messages. */
    public static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            String host = inet.getAddress().getHostAddress();
            return (inet.getAddress() instanceof Inet6Address ? "[" + compress(host) + "]" : host) + ":" + inet.getPort();
        }
        if (address instanceof UnixDomainSocketAddress unix) return unix.getPath().toString().isEmpty() ? "(unnamed)" : unix.getPath().toString();
        return String.valueOf(address);
    }

    /**
     * An IPv6 address as RFC 5952 writes it (::1, fe80::1%2), from Java's full form (0:0:0:0:0:0:0:1): the longest
     * run of two or more zero groups, the first of equal ones, becomes "::".
     */
    static String compress(String full) {
        int scope = full.indexOf('%');
        String suffix = scope < 0 ? "" : full.substring(scope);
        String[] g = (scope < 0 ? full : full.substring(0, scope)).split(":");
        int best = -1, bestLength = 1;
        for (int i = 0; i < g.length; ) {
            if (!g[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < g.length && g[j].equals("0")) j++;
            if (j - i > bestLength) {
                best = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (best < 0) return String.join(":", g) + suffix;
        return String.join(":", java.util.Arrays.copyOfRange(g, 0, best)) + "::"
                + String.join(":", java.util.Arrays.copyOfRange(g, best + bestLength, g.length)) + suffix;
    }

    static String format(MemorySegment src, int length) {
        try {
            return format(read(src, length));
        } catch (RuntimeException e) {
            return "sockaddr(family=" + sockaddr.sa_family(src) + ")";
        }
    }
}
