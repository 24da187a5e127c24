package io.pollkit.server;

import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The loop servers over IPv6: tick, echo and http bound to ::1 on every backend (sockaddr_in6 all the way through
 * bind, accept and the logged peer). Skipped, with the reason printed, where ::1 is not configured.
 */
@Timeout(30)
class Ipv6Test {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> serversAndBackends() {
        return MaxClientsTest.serversAndBackends();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("serversAndBackends")
    void servesOverIpv6Loopback(ServerKind kind, Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            probe.getLocalPort();
        } catch (IOException e) {
            Backends.skip(info, "no IPv6 loopback (::1) here: " + e);
        }
        try (RunningServer s = RunningServer.start(kind, b, o -> o.withBind("::1"))) {
            assertEquals("::1", s.host);
            Client first = s.connect(), second = s.connect();
            kind.assertServed(first);
            kind.assertServed(second);
            kind.assertServed(first);   // still served after another client came
            first.close();
            s.awaitDisconnect(first.id);
            kind.assertServed(second);
        }
    }
}
