package io.pollkit.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.pollkit.poller.Poller;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code IoUringPoller.poll} stays too large for C2 to inline into a caller (docs/DESIGN.md, "Kept out of line"):
 * inlined, it could use up the caller's node budget, and the caller's later downcalls then allocated (W1Poller on
 * io_uring). The property is a size, so this checks the size: the method's bytecode, as javap shows it in the
 * pollkit jar this module runs on, against this JVM's FreqInlineSize, the largest hot method C2 inlines. (Here, not
 * in the library's tests, because those run inside its module, which does not read java.management.)
 */
class IoUringPollerInliningTest {
    @Test
    void pollIsLargerThanTheLargestMethodC2InlinesWhenHot() throws Exception {
        Integer limit = vmFlag("FreqInlineSize");
        skipUnless(limit != null, "not a HotSpot JVM: no FreqInlineSize to compare with");
        Optional<ToolProvider> javap = ToolProvider.findFirst("javap");
        skipUnless(javap.isPresent(), "this Java runtime has no javap (jdk.jdeps) to read the bytecode with");

        String classes = Path.of(Poller.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = javap.get().run(new PrintWriter(out), new PrintWriter(err), "-c", "-p", "-cp", classes,
                "io.pollkit.poller.IoUringPoller");   // package-private: named, not referenced
        assertEquals(0, rc, err.toString());

        int size = codeLength(out.toString(), "public int poll(io.pollkit.poller.Events, long)");
        assertTrue(size > limit, "IoUringPoller.poll is " + size + " bytes of bytecode, not more than FreqInlineSize ("
                + limit + "): C2 may inline it into its callers again");
    }

    /** The bytecode length of {@code signature}'s method in javap -c output: its last instruction's offset + 1 (a return). */
    private static int codeLength(String javap, String signature) {
        int at = javap.indexOf(signature);
        assertTrue(at >= 0, "javap shows no " + signature + ":\n" + javap);
        String body = javap.substring(at).split("\\R\\R", 2)[0];   // up to the blank line after the method
        Matcher m = Pattern.compile("(?m)^\\s+(\\d+): (\\w+)").matcher(body);
        int last = -1;
        String op = null;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
            op = m.group(2);
        }
        assertTrue(op != null && op.endsWith("return"), "the method does not end in a return:\n" + body);
        return last + 1;
    }

    private static void skipUnless(boolean condition, String reason) {
        if (!condition) System.out.println("SKIPPED IoUringPollerInliningTest: " + reason);
        assumeTrue(condition, reason);
    }

    private static Integer vmFlag(String name) {
        try {
            return Integer.valueOf(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
