package io.pollkit.sys;

import io.pollkit.bindings.addrinfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.netdb_h.EAI_SYSTEM;
import static io.pollkit.bindings.netdb_h.NI_MAXHOST;
import static io.pollkit.bindings.netdb_h.NI_MAXSERV;
import static java.lang.foreign.ValueLayout.ADDRESS;

/** {@code <netdb.h>}: getaddrinfo, freeaddrinfo, gai_strerror, getnameinfo. */
public final class Netdb {
    private Netdb() {}

    /** One result of getaddrinfo: what to pass to socket(2), and the address to bind or connect to. */
    public record AddrInfo(int family, int socktype, int protocol, SocketAddress address, String canonname) {}

    /** A host and service name from getnameinfo. */
    public record NameInfo(String host, String service) {}

    /**
     * getaddrinfo(3): every address for {@code host} and {@code service} (either may be null), in the
     * resolver's order. {@code family} is AF_UNSPEC, AF_INET or AF_INET6; {@code socktype} and
     * {@code flags} (AI_*) may be 0.
     */
    public static List<AddrInfo> getaddrinfo(String host, String service, int family, int socktype, int flags)
            throws GaiException, ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hints = addrinfo.allocate(arena);
            addrinfo.ai_family(hints, family);
            addrinfo.ai_socktype(hints, socktype);
            addrinfo.ai_flags(hints, flags);
            MemorySegment res = arena.allocate(ADDRESS);
            MemorySegment node = host == null ? MemorySegment.NULL : arena.allocateFrom(host);
            MemorySegment serv = service == null ? MemorySegment.NULL : arena.allocateFrom(service);
            int r;
            do r = Ffm.getaddrinfo(node, serv, hints, res); while (interrupted(r));
            String call = "getaddrinfo(host=" + host + ", service=" + service + ")";
            if (r == EAI_SYSTEM()) throw new ErrnoException(call, Native.errno(Native.errnoState()));
            if (r != 0) throw new GaiException(call, r, gai_strerror(r));
            MemorySegment head = res.get(ADDRESS, 0);
            try {
                List<AddrInfo> out = new ArrayList<>();
                for (MemorySegment ai = head; !ai.equals(MemorySegment.NULL); ai = addrinfo.ai_next(ai)) {
                    ai = ai.reinterpret(addrinfo.sizeof());
                    MemorySegment sa = addrinfo.ai_addr(ai).reinterpret(addrinfo.ai_addrlen(ai));
                    out.add(new AddrInfo(addrinfo.ai_family(ai), addrinfo.ai_socktype(ai), addrinfo.ai_protocol(ai),
                            SockAddr.read(sa, addrinfo.ai_addrlen(ai)), Native.cString(addrinfo.ai_canonname(ai))));
                }
                return out;
            } finally {
                Ffm.freeaddrinfo(head);
            }
        }
    }

    /** EAI_SYSTEM with errno EINTR: a signal, so the call is made again (the EINTR rule of {@link Results}). */
    private static boolean interrupted(int r) {
        return r == EAI_SYSTEM() && Native.errno(Native.errnoState()) == EINTR();
    }

    /** gai_strerror(3): the text of an {@code EAI_*} code. */
    public static String gai_strerror(int code) {
        return Native.cString(Ffm.gai_strerror(code));
    }

    /** getnameinfo(3) with NI_* {@code flags}, for example NI_NUMERICHOST | NI_NUMERICSERV. */
    public static NameInfo getnameinfo(SocketAddress address, int flags) throws GaiException, ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocate(address, arena);
            MemorySegment host = arena.allocate(NI_MAXHOST());
            MemorySegment serv = arena.allocate(NI_MAXSERV());
            int r;
            do r = Ffm.getnameinfo(sa, (int) sa.byteSize(), host, NI_MAXHOST(), serv, NI_MAXSERV(), flags); while (interrupted(r));
            String call = "getnameinfo(" + SockAddr.format(address) + ")";
            if (r == EAI_SYSTEM()) throw new ErrnoException(call, Native.errno(Native.errnoState()));
            if (r != 0) throw new GaiException(call, r, gai_strerror(r));
            return new NameInfo(host.getString(0), serv.getString(0));
        }
    }
}
