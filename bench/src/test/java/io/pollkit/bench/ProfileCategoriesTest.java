package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bench/profile-categories.awk, which sorts async-profiler's stacks into where the CPU went for {@code make profile}:
 * run on stacks shaped like the ones async-profiler writes for pollkit's http server (thread first, a critical
 * downcall's native frames cut off from their Java caller, the JDK's stubs and errno capture, the JIT's threads).
 */
class ProfileCategoriesTest {
    private static final Path SCRIPT = Path.of("profile-categories.awk");

    @Test
    void eachStackGoesWhereItsTopFrameAndThreadSay() throws Exception {
        String stacks = String.join("\n",
                "[main tid=5];__GI___send 60",
                "[main tid=5];recv 20",
                "[main tid=5];io/pollkit/cli/Main.main;io/pollkit/loop/EventLoop.runOnce;io/pollkit/sys/Ffm.epoll_wait;epoll_wait 4",
                "[main tid=5];io/pollkit/cli/Main.main;io/pollkit/sys/Ffm.recv$critical;jdk/internal/foreign/abi/DowncallStub.0x1.invoke 3",
                "[main tid=5];io/pollkit/cli/Main.main;DowncallLinker::capture_state 1",
                "[main tid=5];io/pollkit/cli/Main.main;DowncallLinker::capture_state;__errno_location 1",
                "[main tid=5];io/pollkit/cli/Main.main;io/pollkit/server/HttpRequestParser.head 3",
                "[main tid=5];io/pollkit/cli/Main.main;io/pollkit/server/Deadline.in 1",
                "[main tid=5];io/pollkit/cli/Main.main;io/pollkit/loop/EventLoop.runOnce 2",
                "[main tid=5];io/pollkit/cli/Main.main;[vdso] 1",
                "[C2 CompilerThre tid=9];start_thread;CompileBroker::invoke_compiler_on_method;Node::Node 3",
                "[GC Thread#0 tid=7];start_thread;WorkerThread::run 1") + "\n";
        Map<String, String> rows = rows(run(stacks, "-v", "us_per_request=10"));

        assertEquals("84 | 84.0% | 8.40", rows.get("syscalls: kernel time and libc's wrapper"), "send, recv and epoll_wait");
        assertEquals("3 | 3.0% | 0.30", rows.get("downcall stubs and method handles (the JDK's)"));
        assertEquals("2 | 2.0% | 0.20", rows.get("errno capture (the JDK's DowncallLinker::capture_state)"));
        assertEquals("3 | 3.0% | 0.30", rows.get("pollkit: HTTP request parser"));
        assertEquals("1 | 1.0% | 0.10", rows.get("pollkit: server (sessions, timeouts, responses)"));
        assertEquals("2 | 2.0% | 0.20", rows.get("pollkit: event loop and poller"));
        assertEquals("1 | 1.0% | 0.10", rows.get("clock (System.nanoTime)"));
        assertEquals("3 | 3.0% | 0.30", rows.get("JIT compiler threads"));
        assertEquals("1 | 1.0% | 0.10", rows.get("GC, VM and service threads"));
        assertEquals("100 | 100% | 10.00", rows.get("all"));
    }

    @Test
    void withoutARequestCountItGivesSharesOnly() throws Exception {
        Map<String, String> rows = rows(run("[main tid=5];recv 3\n[main tid=5];io/pollkit/server/Peer.write 1\n"));
        assertEquals("3 | 75.0%", rows.get("syscalls: kernel time and libc's wrapper"));
        assertEquals("4 | 100%", rows.get("all"));
    }

    @Test
    void noStacksSaySo() throws Exception {
        assertEquals("(no samples)", run("").strip());
    }

    /** The table's rows: the first cell, and the others joined by " | ". */
    private static Map<String, String> rows(String table) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : table.split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| where") || line.startsWith("|---")) continue;
            String[] cells = line.substring(2, line.length() - 2).split(" \\| ", 2);
            rows.put(cells[0], cells[1]);
        }
        return rows;
    }

    private static String run(String stacks, String... vars) throws IOException, InterruptedException {
        assumeTrue(Files.isRegularFile(SCRIPT), "no " + SCRIPT.toAbsolutePath() + " (the test runs from bench/)");
        Path in = Files.createTempFile("stacks", ".collapsed");
        try {
            Files.writeString(in, stacks);
            List<String> argv = new java.util.ArrayList<>(List.of("awk"));
            argv.addAll(List.of(vars));
            argv.addAll(List.of("-f", SCRIPT.toString(), in.toString()));
            Process p;
            try {
                p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            } catch (IOException e) {
                System.out.println("SKIPPED ProfileCategoriesTest: no awk to run the script with (" + e.getMessage() + ")");
                assumeTrue(false, "no awk");
                throw e;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "awk did not finish");
            assertEquals(0, p.exitValue(), out);
            return out;
        } finally {
            Files.delete(in);
        }
    }
}
