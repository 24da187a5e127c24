package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The awk scripts behind {@code make profile}'s splits of a server's CPU, run on input shaped like their tools' output:
 * bench/profile-categories.awk on async-profiler's collapsed stacks of pollkit's http server (thread first, a critical
 * downcall's native frames cut off from their Java caller, the JDK's stubs and errno capture, the JIT's threads), and
 * bench/profile-perf-dso.awk on {@code perf report --sort dso -F sample,dso} of either server, and
 * bench/profile-side-by-side.awk on the two servers' splits.
 */
class ProfileScriptsTest {
    private static final Path CATEGORIES = Path.of("profile-categories.awk"), PERF_DSO = Path.of("profile-perf-dso.awk"),
            SIDE_BY_SIDE = Path.of("profile-side-by-side.awk");

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
        Map<String, String> rows = rows(run(CATEGORIES, stacks, "-v", "us_per_request=10"));

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
        Map<String, String> rows = rows(run(CATEGORIES, "[main tid=5];recv 3\n[main tid=5];io/pollkit/server/Peer.write 1\n"));
        assertEquals("3 | 75.0%", rows.get("syscalls: kernel time and libc's wrapper"));
        assertEquals("4 | 100%", rows.get("all"));
    }

    @Test
    void noStacksSaySo() throws Exception {
        assertEquals("(no samples)", run(CATEGORIES, "").strip());
    }

    @Test
    void perfSamplesGoToTheCodeTheyLandedIn() throws Exception {
        String report = String.join("\n",
                "# Samples: 40K of event 'cpu-clock'",
                "#",
                "          3181  [JIT] tid 27160  ",
                "         27014  [kernel.kallsyms]",
                "           118  [vdso]           ",
                "          3685  libc.so.6        ",
                "           257  libjvm.so        ",
                "           745  http-hello       ",
                "             0  ",
                "") + "\n";
        Map<String, String> split = new LinkedHashMap<>();
        for (String line : run(PERF_DSO, report, "-v", "us=35000").strip().split("\n")) {
            String[] f = line.split(" ", 2);
            split.put(f[0], f[1]);
        }
        assertEquals(Map.of("jit", "3181 3181.0000", "kernel", "27014 27014.0000", "vdso", "118 118.0000",
                "libc", "3685 3685.0000", "jvm", "257 257.0000", "program", "745 745.0000"), split,
                "35000 samples in all, 35000 µs: a sample is 1 µs");
    }

    @Test
    void sideBySideGroupsEachServersOwnCodeAndGivesShares() throws Exception {
        String c = "program 5 0.6000\nkernel 80 8.0000\nlibc 10 1.4000\n";
        String pollkit = "kernel 70 7.0000\njit 20 2.0000\nlibc 10 1.0000\njvm 1 0.5000\nvdso 1 0.5000\n";
        Map<String, String> rows = rows(run(SIDE_BY_SIDE, List.of(c, pollkit)));
        assertEquals("8.00 | 80.0% | 7.00 | 63.6% | -1.00", rows.get("the kernel"));
        assertEquals("1.40 | 14.0% | 1.00 | 9.1% | -0.40", rows.get("libc"));
        assertEquals("0.60 | 6.0% | 3.00 | 27.3% | +2.40",
                rows.get("the server's own code (C: its binary; pollkit: JIT code, libjvm, vDSO)"),
                "C's binary against pollkit's JIT code, libjvm and vDSO together");
        assertEquals("10.00 | 100% | 11.00 | 100% | +1.00", rows.get("all"));
        assertTrue(!rows.containsKey("other"), "a row neither server has is left out");
    }

    /** The table's rows: the first cell, and the others joined by " | ". */
    private static Map<String, String> rows(String table) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : table.split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| where") || line.startsWith("| code") || line.startsWith("|---")) continue;
            String[] cells = line.substring(2, line.length() - 2).split(" \\| ", 2);
            rows.put(cells[0], cells[1]);
        }
        return rows;
    }

    private static String run(Path script, String input, String... vars) throws IOException, InterruptedException {
        return run(script, List.of(input), vars);
    }

    /** Runs {@code script} on one file per input, in order. */
    private static String run(Path script, List<String> inputs, String... vars) throws IOException, InterruptedException {
        assumeTrue(Files.isRegularFile(script), "no " + script.toAbsolutePath() + " (the test runs from bench/)");
        List<Path> files = new ArrayList<>();
        try {
            for (String input : inputs) {
                Path in = Files.createTempFile("profile", ".txt");
                files.add(in);
                Files.writeString(in, input);
            }
            List<String> argv = new ArrayList<>(List.of("awk"));
            argv.addAll(List.of(vars));
            argv.addAll(List.of("-f", script.toString()));
            for (Path in : files) argv.add(in.toString());
            Process p;
            try {
                p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            } catch (IOException e) {
                System.out.println("SKIPPED ProfileScriptsTest: no awk to run the script with (" + e.getMessage() + ")");
                assumeTrue(false, "no awk");
                throw e;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "awk did not finish");
            assertEquals(0, p.exitValue(), out);
            return out;
        } finally {
            for (Path in : files) Files.delete(in);
        }
    }
}
