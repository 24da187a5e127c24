package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.sys.EventFd;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static io.pollkit.bindings.sys_epoll_h.EFD_CLOEXEC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client whose fd is at or past FD_SETSIZE (1024): poll, epoll and kqueue serve it like any other;
 * select cannot watch it, so that one client is refused with a log line, and the server goes on serving
 * and accepting. (The fds below 1024 are taken by eventfds this test opens and closes.)
 */
@Timeout(20)
class HighFdTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aClientPastFdSetSizeIsServedOrRefusedButNeverStopsTheServer(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        List<Integer> filler = new ArrayList<>();
        try (RunningServer s = RunningServer.start(ServerKind.ECHO, b)) {
            Client low = s.connect();
            low.assertEchoes("a low fd\n");
            try {
                for (int fd = -1; fd < FdSet.FD_SETSIZE; ) filler.add(fd = EventFd.eventfd(0, EFD_CLOEXEC()));
                int connected = s.connectedCount(), refused = s.log.count("client \\d+ refused: .*");
                Client high = new Client(-1, connectRaw(s.port));
                if (b == Backend.SELECT) {
                    s.log.awaitCount(l -> l.matches("client \\d+ refused: .*"), refused + 1, RunningServer.WAIT, "a refusal");
                    String line = s.log.lines().stream().filter(l -> l.matches("client \\d+ refused: .*")).toList().get(refused);
                    assertTrue(line.contains("select cannot watch fd") && line.contains("FD_SETSIZE=" + FdSet.FD_SETSIZE), line);
                    high.assertClosedByServer();
                    assertEquals(connected, s.connectedCount(), "not counted as connected");
                } else {
                    s.awaitConnected(connected);
                    high.assertEchoes("a high fd\n");
                }
                high.close();
            } finally {
                for (int fd : filler) Unistd.closeQuietly(fd);
            }
            low.assertEchoes("still here\n");
            Client again = s.connect();   // the listener is still there
            again.assertEchoes("and a new one\n");
        }
    }

    private static java.net.Socket connectRaw(int port) throws IOException {
        java.net.Socket s = new java.net.Socket();
        s.setSoTimeout((int) RunningServer.WAIT.toMillis());
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }
}
