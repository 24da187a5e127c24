package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Rlimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client limits that fit each server: echo and http hold as many clients as RLIMIT_NOFILE allows (minus a reserve;
 * select: FD_SETSIZE at most), after raising the soft limit to the hard one; tick keeps its 15; an http client over
 * the limit gets 503.
 */
@Timeout(60)
class FdLimitTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void echoAndHttpDeriveTheirLimitFromTheFdLimitAndServe50Clients(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        long soft = Rlimit.getrlimit(RLIMIT_NOFILE()).cur();
        long expected = Math.min(b == Backend.SELECT ? FdSet.FD_SETSIZE : Long.MAX_VALUE, soft) - FdLimit.RESERVE;
        for (ServerKind kind : List.of(ServerKind.ECHO, ServerKind.HTTP)) {
            try (RunningServer s = RunningServer.start(kind, b, o -> o.withMaxClients(ServerOptions.MAX_CLIENTS_FROM_FD_LIMIT))) {
                assertEquals(expected, s.server.maxClients(), kind + ": RLIMIT_NOFILE " + soft + " minus " + FdLimit.RESERVE);
                // What `wrk -c50` does: 50 connections at once, every one served.
                List<Client> clients = new ArrayList<>();
                for (int i = 0; i < 50; i++) clients.add(s.connect());
                for (Client c : clients) kind.assertServed(c);
                assertEquals(0, s.log.count("client \\d+ refused: .*"), s.log.tail());
            }
        }
    }

    @Test
    void maxClientsOfTheFdLimitIsItMinusTheReserveAndAtMostFdSetsizeWithSelect() {
        assertEquals(20000 - FdLimit.RESERVE, FdLimit.maxClients(20000, Backend.EPOLL));
        assertEquals(FdSet.FD_SETSIZE - FdLimit.RESERVE, FdLimit.maxClients(20000, Backend.SELECT));
        assertEquals(1, FdLimit.maxClients(10, Backend.POLL), "at least one client");
        assertEquals(Integer.MAX_VALUE, FdLimit.maxClients(-1, Backend.EPOLL), "RLIM_INFINITY");
    }

    /**
     * In a child JVM whose soft limit is a few fds above what it has open and whose hard limit is 100 above: http
     * raises the soft limit, serves hard - RESERVE clients at once (far more than the soft limit would have
     * allowed) and answers the next with 503. One backend: the limit is the process's, not the backend's.
     */
    @Test
    void httpRaisesTheSoftLimitServesUpToTheHardLimitMinusTheReserveThenAnswers503() throws Exception {
        String backend = Backend.defaultBackend().id();
        List<Client> clients = new ArrayList<>();
        try (ChildJvm child = ChildJvm.start(FdLimitChild.class.getName(), List.of("8", "100", "http", "--port=0"))) {
            int port = child.awaitPort(backend);
            Matcher m = child.err.await("fdlimit-child: soft (\\d+) hard (\\d+) .*", RunningServer.WAIT);
            long hard = Long.parseLong(m.group(2));
            assertEquals(List.of(hard, hard), openFilesLimits(child.process.pid()), "the soft limit raised to the hard one");
            long max = hard - FdLimit.RESERVE;
            try {
                for (int i = 1; i <= max; i++) {
                    Client c = new Client(i, connect(port));
                    clients.add(c);
                    c.assertHttpHello();
                }
                Client over = new Client(max + 1, connect(port));
                clients.add(over);
                assertServiceUnavailable(over);
                child.err.await("client " + (max + 1) + " refused: " + max + " clients already \\(--max-clients=" + max + "\\)",
                        RunningServer.WAIT);
                clients.get(0).assertHttpHello();
                assertEquals(0, child.err.count(".*EMFILE.*"), child.err.tail());
            } finally {
                for (Client c : clients) c.close();
            }
            child.sigterm();
            assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), child.err.tail());
        }
    }

    /** The tick server keeps its class of 15 by default, whatever the fd limit. */
    @Test
    void tickKeeps15ByDefault() throws Exception {
        List<Client> clients = new ArrayList<>();
        try (ChildJvm child = ChildJvm.start(FdLimitChild.class.getName(), List.of("8", "100", "tick", "--port=0", "--interval=50"))) {
            int port = child.awaitPort(Backend.defaultBackend().id());
            try {
                for (int i = 1; i <= 16; i++) clients.add(new Client(i, connect(port)));
                child.err.await("client 16 refused: 15 clients already \\(--max-clients=15\\)", RunningServer.WAIT);
                clients.get(15).assertClosedByServer();
                clients.get(14).awaitTick();
            } finally {
                for (Client c : clients) c.close();
            }
        }
    }

    /** {@code 503 Service Unavailable}, {@code Connection: close}, no body, then the close. */
    static void assertServiceUnavailable(Client c) throws IOException {
        Client.Response r = c.readResponse();
        assertEquals("HTTP/1.1 503 Service Unavailable", r.status());
        assertEquals("close", r.headers().get("connection"));
        assertEquals("0", r.headers().get("content-length"));
        c.assertClosedByServer();
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) RunningServer.WAIT.toMillis());
        s.connect(new InetSocketAddress("127.0.0.1", port), (int) RunningServer.WAIT.toMillis());
        return s;
    }

    /** The soft and hard "Max open files" of a process, from /proc/PID/limits. */
    private static List<Long> openFilesLimits(long pid) throws IOException {
        Pattern p = Pattern.compile("Max open files\\s+(\\d+)\\s+(\\d+)\\s+files\\s*");
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            Matcher m = p.matcher(line);
            if (m.matches()) return List.of(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        }
        throw new AssertionError("no Max open files line in /proc/" + pid + "/limits");
    }
}
