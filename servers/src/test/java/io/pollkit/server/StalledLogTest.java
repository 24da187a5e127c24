package io.pollkit.server;

import io.pollkit.cli.Main;
import io.pollkit.poller.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server whose log (stderr, a pipe) nobody reads goes on serving: its writes to the full pipe would block
 * the loop's thread, and every client's ticks with it, so the log drops lines instead (BoundedLog) and says
 * how many once the reader is back.
 */
@Timeout(120)
class StalledLogTest {
    private static final int TALKERS = 8;

    @Test
    void aLogReaderThatStopsReadingCostsLogLinesNotTicks() throws Exception {
        String backend = Backend.defaultBackend().id();
        try (ChildJvm server = ChildJvm.startWithStderrUnread(Main.class.getName(),
                List.of("tick", "--backend=" + backend, "--port=0", "--interval=100", "--max-clients=" + (TALKERS + 1)))) {
            int port = server.awaitPort(backend);
            List<Socket> talkers = new ArrayList<>();
            try (Socket listener = connect(port)) {
                for (int i = 0; i < TALKERS; i++) talkers.add(connect(port));
                // Each talker's 100 lines a second that LineLog shows, 200 bytes each: 160 KiB a second in all, which
                // fills the pipe (64 KiB) and the log's buffer within a few seconds, whatever the machine's speed.
                byte[] lines = ("x".repeat(199) + "\n").repeat(150).getBytes(StandardCharsets.US_ASCII);
                InputStream ticks = listener.getInputStream();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8), lateFrom = end - TimeUnit.SECONDS.toNanos(3);
                int lateTicks = 0;
                byte[] buf = new byte[4096];
                while (System.nanoTime() < end) {
                    for (Socket t : talkers) t.getOutputStream().write(lines);
                    // The listener reads what came (ticks every 100 ms); a stalled loop sends none.
                    while (ticks.available() > 0) {
                        int n = ticks.read(buf);
                        if (System.nanoTime() >= lateFrom) lateTicks += count(buf, n);
                    }
                    Thread.sleep(100);
                }
                // 30 ticks are due in the last 3 s; a loop blocked on the log sends none.
                assertTrue(lateTicks >= 5, "the tick client got " + lateTicks + " ticks in the last 3 s of the flood");
            } finally {
                for (Socket t : talkers) t.close();
            }
            // The reader comes back: the lines kept, then the count of those dropped.
            String log = readFor(server.process.getErrorStream(), Duration.ofSeconds(20), "log lines dropped");
            assertTrue(log.matches("(?s).*pollkit: \\d+ log lines dropped: the log's reader fell behind\n.*"), "no drop report in the log");
            for (String line : log.split("\n", -1)) {
                if (line.startsWith("client said: ")) assertEquals("client said: " + "x".repeat(199), line, "a cut line");
            }
            server.sigterm();
            assertEquals(0, server.awaitExit(Duration.ofSeconds(30)));
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static int count(byte[] b, int n) {
        int ticks = 0;
        for (int i = 0; i < n; i++) if (b[i] == '\n') ticks++;
        return ticks;
    }

    /** Reads {@code in} until {@code marker} has been read and its line ended, or {@code timeout}; what was read. */
    private static String readFor(InputStream in, Duration timeout, String marker) throws IOException, InterruptedException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long end = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[65536];
        while (System.nanoTime() < end) {
            if (in.available() > 0) {
                all.write(buf, 0, in.read(buf));
                String s = all.toString(StandardCharsets.UTF_8);
                int at = s.indexOf(marker);
                if (at >= 0 && s.indexOf('\n', at) >= 0) return s;
            } else {
                Thread.sleep(20);
            }
        }
        return all.toString(StandardCharsets.UTF_8);
    }
}
