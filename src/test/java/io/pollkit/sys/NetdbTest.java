package io.pollkit.sys;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static io.pollkit.bindings.netdb_h.AI_NUMERICHOST;
import static io.pollkit.bindings.netdb_h.AI_PASSIVE;
import static io.pollkit.bindings.netdb_h.EAI_NONAME;
import static io.pollkit.bindings.netdb_h.NI_NUMERICHOST;
import static io.pollkit.bindings.netdb_h.NI_NUMERICSERV;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_INET6;
import static io.pollkit.bindings.sys_socket_h.AF_UNSPEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** getaddrinfo, getnameinfo and gai_strerror against the real resolver (numeric: no network needed). */
class NetdbTest {

    @Test
    void passiveUnspecGivesSeveralAddressesOfBothFamilies() throws Exception {
        List<Netdb.AddrInfo> all = Netdb.getaddrinfo(null, "8080", AF_UNSPEC(), SOCK_STREAM(), AI_PASSIVE());
        assertTrue(all.size() >= 2, "both wildcard addresses: " + all);
        assertTrue(all.stream().anyMatch(a -> a.family() == AF_INET()), all.toString());
        assertTrue(all.stream().anyMatch(a -> a.family() == AF_INET6()), all.toString());
        for (Netdb.AddrInfo a : all) {
            assertEquals(8080, ((InetSocketAddress) a.address()).getPort());
            assertEquals(SOCK_STREAM(), a.socktype());
        }
    }

    @Test
    void numericHostsResolveToThemselves() throws Exception {
        Netdb.AddrInfo v6 = Netdb.getaddrinfo("::1", "80", AF_UNSPEC(), SOCK_STREAM(), AI_NUMERICHOST()).get(0);
        assertEquals(AF_INET6(), v6.family());
        assertEquals("[::1]:80", SockAddr.format(v6.address()));
        Netdb.AddrInfo v4 = Netdb.getaddrinfo("127.0.0.1", null, AF_INET(), SOCK_STREAM(), AI_NUMERICHOST()).get(0);
        assertEquals("127.0.0.1:0", SockAddr.format(v4.address()));
    }

    @Test
    void aFailureCarriesTheEaiNameAndGaiStrerrorsText() {
        GaiException e = assertThrows(GaiException.class,
                () -> Netdb.getaddrinfo("not-a-number", "80", AF_UNSPEC(), SOCK_STREAM(), AI_NUMERICHOST()));
        assertEquals(EAI_NONAME(), e.code());
        assertEquals("EAI_NONAME", e.codeName());
        assertEquals("getaddrinfo(host=not-a-number, service=80): EAI_NONAME (" + Netdb.gai_strerror(EAI_NONAME()) + ")",
                e.getMessage());
        assertEquals("Name or service not known", Netdb.gai_strerror(EAI_NONAME()));
    }

    @Test
    void getnameinfoIsNumericOnRequest() throws Exception {
        Netdb.NameInfo n = Netdb.getnameinfo(new InetSocketAddress("127.0.0.1", 8080), NI_NUMERICHOST() | NI_NUMERICSERV());
        assertEquals("127.0.0.1", n.host());
        assertEquals("8080", n.service());
    }

    /** IPv6 addresses are shown as RFC 5952 writes them: the longest run of zero groups (the first of equals) is "::". */
    @Test
    void ipv6AddressesAreCompressed() {
        assertEquals("::1", SockAddr.compress("0:0:0:0:0:0:0:1"));
        assertEquals("::", SockAddr.compress("0:0:0:0:0:0:0:0"));
        assertEquals("fe80::1%2", SockAddr.compress("fe80:0:0:0:0:0:0:1%2"));
        assertEquals("1:0:0:1::1", SockAddr.compress("1:0:0:1:0:0:0:1"));
        assertEquals("1::1:0:0:1", SockAddr.compress("1:0:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", SockAddr.compress("2001:db8:0:1:1:1:1:1"), "a single zero group stays");
    }
}
