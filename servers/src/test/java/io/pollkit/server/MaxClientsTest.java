package io.pollkit.server;

import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * --max-clients: one client too many is closed at once with a log line (http answers it 503 first); a freed slot
 * can be used again.
 */
@Timeout(20)
class MaxClientsTest {
    /** Every server on every backend, and echo and http on io_uring's completions. */
    static Stream<Arguments> serversAndBackends() {
        return Arrays.stream(ServerKind.values()).flatMap(k -> Engine.all()
                .filter(e -> k != ServerKind.TICK || e.model() == Model.READINESS).map(e -> Arguments.of(k, e)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("serversAndBackends")
    void theFourthOfThreeIsRefusedAndAFreedSlotIsUsable(ServerKind kind, Engine b, TestInfo info) throws Exception {
        b.assumeAvailable(info);
        try (RunningServer s = RunningServer.start(kind, b, o -> o.withMaxClients(3))) {
            Client one = s.connect(), two = s.connect(), three = s.connect();
            try (Socket fourth = new Socket()) {
                fourth.setSoTimeout(5000);
                fourth.connect(new InetSocketAddress("127.0.0.1", s.port), 5000);
                if (kind == ServerKind.HTTP) FdLimitTest.assertServiceUnavailable(new Client(4, fourth));
                else assertEquals(-1, fourth.getInputStream().read(), "the refused client gets end of stream");
            }
            s.log.await("client 4 refused: 3 clients already \\(--max-clients=3\\)", RunningServer.WAIT);
            for (Client c : new Client[] {one, two, three}) kind.assertServed(c);

            two.close();
            assertEquals("peer closed", s.awaitDisconnect(two));
            Client five = s.connect();
            assertEquals(5, five.id);
            kind.assertServed(five);
            kind.assertServed(one);
            assertEquals(3, s.server.clientCount());
        }
    }
}
