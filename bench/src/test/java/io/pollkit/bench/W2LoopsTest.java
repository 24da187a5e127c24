package io.pollkit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W2's rows on two cores (C's --workers=2, pollkit's --loops=2): their own rows, compared with each other, and the
 * report says that they ran unpinned with wrk on the same cores.
 */
class W2LoopsTest {
    private static String line(String impl, String kase, double median) {
        return Json.write(new Result("W2", impl, "epoll", 50, null, kase, "req_per_cpu_s", "req/CPU-s", median, median, median,
                3, null, "higher", "test", Result.OK, null).toJson());
    }

    @Test
    void theTwoCoreRowsStandApartAndSayTheyShareTheCoresWithWrk(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"machine\":{\"cpu\":\"CPU X\",\"cores\":2}}\n");
        Files.writeString(dir.resolve("w2.jsonl"), String.join("\n",
                line("c", null, 200000), line("pollkit", null, 180000),
                line("c", Runner.W2_LOOPS_CASE, 150000), line("pollkit", Runner.W2_LOOPS_CASE, 120000)) + "\n");
        Report.generate(dir);
        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| 50 | epoll | pollkit | — | — | — | — | **180000** | 0.90 ✗ (bar 0.97) |"), md);
        assertTrue(md.contains("| 50 | epoll | pollkit loops=2 | — | — | — | — | **120000** | 0.80 ✗ (bar 0.97) |"), md);
        assertTrue(md.contains("| 50 | epoll | c loops=2 |"), md);
        assertTrue(md.contains("**Unpinned, and wrk shares those 2 cores** (the machine has 2)"), md);
        assertTrue(Files.readString(dir.resolve("charts/w2.svg")).contains("pollkit epoll loops=2"));
    }
}
