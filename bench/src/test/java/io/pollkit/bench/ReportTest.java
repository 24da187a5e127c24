package io.pollkit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report reads any *.jsonl of the common shape: W1/W4 from the runner, later workloads from elsewhere. */
class ReportTest {
    @Test
    void jsonRoundTrip() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"a\":[1,2.5,\"x\\\"y\\n\"],\"b\":null,\"c\":true,\"d\":{}}");
        assertEquals(List.of(1.0, 2.5, "x\"y\n"), m.get("a"));
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void reportOfW1W4AndAnotherWorkload(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("meta.json"), "{\"profile\":\"test\",\"kqueue_is_test_double\":true,"
                + "\"kqueue_lib\":\"/x/libkqueue-double.so\",\"machine\":{\"cpu\":\"CPU X\",\"cores\":2}}\n");
        Files.writeString(dir.resolve("w1.jsonl"), String.join("\n",
                line("W1", "c", "kqueue", 10, 1, null, "ns_per_round", "ns/round", 1000, null),
                line("W1", "ffm", "kqueue", 10, 1, null, "ns_per_round", "ns/round", 1500, 0.0),
                line("W1", "c", "kqueue", 1000, 1, null, "ns_per_round", "ns/round", 9000, null),
                line("W1", "ffm", "kqueue", 1000, 1, null, "ns_per_round", "ns/round", 9900, 0.0),
                "{\"workload\":\"W1\",\"impl\":\"jni\",\"backend\":\"kqueue\",\"n\":10,\"k\":1,\"status\":\"skipped\",\"reason\":\"no lib\"}") + "\n");
        Files.writeString(dir.resolve("w4.jsonl"),
                line("W4", "c", null, null, null, "getpid", "ns_per_call", "ns/call", 100, null) + "\n"
                + line("W4", "ffm", null, null, null, "getpid", "ns_per_call", "ns/call", 125, 0.0) + "\n");
        // A later workload, written by another producer in the same shape.
        Files.writeString(dir.resolve("w2.jsonl"),
                "{\"workload\":\"W2\",\"impl\":\"ffm\",\"backend\":\"epoll\",\"case\":\"c=50\",\"metric\":\"req_per_s\","
                + "\"unit\":\"req/s\",\"median\":90000,\"min\":88000,\"max\":91000,\"better\":\"higher\"}\n");

        Report.generate(dir);

        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| kqueue | 10 | 1 | ffm | **1500** | 1500 .. 1500 | 1.50 | 0.00 |"), md);
        assertTrue(md.contains("| getpid | ffm | **125.0** |"), md);
        assertTrue(md.contains("## W2 — http-hello: req/s"), md);
        assertTrue(md.contains("not real kqueue"), md);
        assertTrue(md.contains("skipped: no lib — 1 case(s): W1 jni kqueue n=10 k=1"), md);
        assertTrue(md.contains("| CPU | CPU X |") && md.contains("| cores | 2 |"), md);
        assertTrue(Files.readString(dir.resolve("charts/w1-kqueue-k1.svg")).contains("not real kqueue"));
        assertTrue(Files.readString(dir.resolve("charts/w4.svg")).startsWith("<svg"));
        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("results.json")));
        assertEquals(Report.SCHEMA, json.get("schema"));
        assertEquals(8, ((List<?>) json.get("results")).size());
    }

    private static String line(String w, String impl, String backend, Integer n, Integer k, String kase, String metric,
                               String unit, double median, Double alloc) {
        return Json.write(new Result(w, impl, backend, n, k, kase, metric, unit, median, median, median, 3, alloc,
                "lower", "test", Result.OK, null).toJson());
    }
}
