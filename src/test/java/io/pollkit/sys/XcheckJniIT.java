package io.pollkit.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The verdict on the {@code jni-under-xcheck} run (pom.xml): HotSpot's -Xcheck:jni reports a misuse of JNI as a
 * "WARNING in native method: ..." line and carries on, so the tests of that run pass whatever it says. Its VM
 * output is copied to a log file (-XX:+LogVMOutput); any such line there fails the build. Runs in failsafe,
 * after the surefire runs.
 */
class XcheckJniIT {
    private static final Path LOG = Path.of(System.getProperty("pollkit.xcheck.log", "target/xcheck-jni-vm.log"));

    @Test
    void theJniRunUnderXcheckReportedNothing() throws IOException {
        if (!Files.isRegularFile(LOG)) fail(LOG + " is missing: the jni-under-xcheck test run did not run before this check");
        String log = Files.readString(LOG);
        // The log names the JVM's arguments: it must be the checked JNI run's, not another JVM's.
        assertTrue(log.contains("-Xcheck:jni") && log.contains("-Dpollkit.transport=jni"),
                LOG + " is not the log of a JVM run with -Xcheck:jni -Dpollkit.transport=jni");
        assertTrue(log.contains("<tty_done"), LOG + " is cut short: the checked JVM did not end normally");
        // Each finding with the first frame under it: the native method that misused JNI.
        List<String> lines = log.lines().toList(), findings = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.contains("WARNING in native method") && !l.contains("FATAL ERROR in native method")) continue;
            findings.add(i + 1 < lines.size() ? l + "\n    " + lines.get(i + 1).strip() : l);
        }
        if (!findings.isEmpty()) {
            fail("-Xcheck:jni reported " + findings.size() + " JNI misuse(s) in the JNI transport's tests (" + LOG + "):\n  "
                    + String.join("\n  ", findings));
        }
    }
}
