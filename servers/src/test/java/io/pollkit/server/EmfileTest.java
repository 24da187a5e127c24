package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Out of fds (EMFILE): a tick server in a child JVM whose RLIMIT_NOFILE is a few fds above what it has
 * open ({@link EmfileChild}). Connecting until accept4 fails: the server logs its pause once, does not
 * spin (its CPU time stays well under the wall time), keeps ticking to the clients it has, and accepts
 * the waiting connections once clients leave. SIGTERM then stops it with exit code 0.
 */
@Timeout(30)
class EmfileTest {
    private static final String PAUSE = "accept4\\(.*\\): EMFILE \\(Too many open files\\); pausing accepts for 100 ms at a time until fds are free";

    @ParameterizedTest
    @EnumSource(Backend.class)
    void atTheFdLimitTheServerPausesAcceptsWithoutSpinningAndRecovers(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        List<Client> accepted = new ArrayList<>(), waiting = new ArrayList<>();
        try (ChildJvm child = ChildJvm.start(EmfileChild.class.getName(),
                List.of("tick", "--port=0", "--interval=100", "--max-clients=1000", "--backend=" + b.id()))) {
            int port = child.awaitPort(b.id());
            LineCapture log = child.err;
            try {
                // Connect until accept4 fails. The client that took the server's last fd is accepted and the
                // next accept4 of the same batch fails at once, so the pause line may follow its connected line.
                while (log.count(PAUSE) == 0) {
                    if (accepted.size() > 200) fail("no EMFILE after 200 clients:\n" + log.tail());
                    int connected = log.count("client \\d+ connected");
                    Socket s = connect(port);
                    awaitEither(log, connected, Duration.ofSeconds(5));
                    if (log.count("client \\d+ connected") > connected) accepted.add(new Client(connected + 1, s));
                    else waiting.add(new Client(-1, s));
                }
                assertTrue(accepted.size() >= 3, "only " + accepted.size() + " clients before EMFILE");
                while (waiting.size() < 2) waiting.add(new Client(-1, connect(port)));   // these wait in the backlog
                System.out.println("emfile/" + b.id() + ": " + accepted.size() + " clients accepted before EMFILE");

                // A server that retries accept4 at once spins: one of its threads is runnable in every sample,
                // however loaded the machine. A paused one waits in its poll between ticks.
                double runnable = Proc.runnableShare(Proc.threads(child.process.pid()), Duration.ofSeconds(1), 100);
                System.out.println("emfile/" + b.id() + ": a thread runnable in " + Math.round(runnable * 100)
                        + "% of samples while paused at the fd limit");
                assertTrue(runnable < 0.5, "a server thread was runnable in " + Math.round(runnable * 100)
                        + "% of samples while paused at the fd limit: it spins");
                assertEquals(1, log.count(PAUSE), "the pause is logged once, not once per retry:\n" + log.tail());

                for (Client c : accepted) c.in.skip(c.in.available());   // the ticks so far
                for (Client c : accepted) c.awaitTick();                  // and a new one
                for (Client c : waiting) assertEquals(0, c.in.available(), "a connection still in the backlog got bytes");

                // Three clients leave: the two waiting ones are accepted, and so is a new one.
                int connected = log.count("client \\d+ connected");
                for (Client c : accepted.subList(0, 3)) c.close();
                for (int id = 1; id <= 3; id++) log.await("client " + id + " disconnected: peer closed", RunningServer.WAIT);
                log.awaitCount(l -> l.matches("client \\d+ connected"), connected + 2, RunningServer.WAIT, "the waiting clients accepted");
                for (Client c : waiting) c.awaitTick();
                Client late = new Client(-1, connect(port));
                waiting.add(late);
                log.awaitCount(l -> l.matches("client \\d+ connected"), connected + 3, RunningServer.WAIT, "a new client accepted");
                late.awaitTick();

                child.sigterm();
                assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), "exit code after SIGTERM; stderr:\n" + log.tail());
                Thread.sleep(1000);
                assertEquals(accepted.size() - 3 + waiting.size(), log.count("client \\d+ disconnected: server stopping"), log.tail());
            } finally {
                for (Client c : accepted) c.close();
                for (Client c : waiting) c.close();
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(5000);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    /** Waits until the log shows one more connected client than {@code connected}, or the pause. */
    private static void awaitEither(LineCapture log, int connected, Duration timeout) {
        log.awaitCount(l -> l.matches("client \\d+ connected") || l.matches(PAUSE), connected + 1, timeout,
                "a connected line or the EMFILE pause");
    }
}
