package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real client program, nc, gets tick lines from the tick server, and what it sends is logged. */
@Timeout(20)
class NetcatTest {
    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void ncGetsTicks(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        for (String program : List.of("nc", "timeout")) {
            if (!onPath(program)) Backends.skip(info, "no " + program + " on the PATH");
        }
        try (RunningServer s = RunningServer.start(ServerKind.TICK, b)) {
            Process nc = new ProcessBuilder("timeout", "3", "nc", "127.0.0.1", Integer.toString(s.port))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                LineCapture got = new LineCapture("nc stdout");
                got.pump(nc.getInputStream());
                OutputStream stdin = nc.getOutputStream();
                stdin.write("hello from nc\n".getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
                long id = s.awaitConnected(0);
                got.awaitCount(l -> true, 3, RunningServer.WAIT, "3 lines from nc");
                assertEquals(List.of("tick", "tick", "tick"), got.lines().subList(0, 3));
                s.log.await("client said: hello from nc", RunningServer.WAIT);
                nc.destroy();   // SIGTERM to timeout, which passes it on to nc
                assertTrue(nc.waitFor(5, TimeUnit.SECONDS), "nc did not end");
                assertEquals("peer closed", s.awaitDisconnect(id));
            } finally {
                nc.destroyForcibly();
            }
        }
    }
}
