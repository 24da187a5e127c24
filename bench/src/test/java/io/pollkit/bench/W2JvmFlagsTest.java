package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** --w2-jvm: the extra pollkit rows of W2, each a name and the JVM flags it runs with. */
class W2JvmFlagsTest {
    @Test
    void entriesKeepTheirOrderAndSplitTheirFlagsOnWhitespace() {
        Map<String, List<String>> rows = Runner.w2Jvm("serial=-XX:+UseSerialGC  -Xmx64m; c2-only=-XX:-TieredCompilation");
        assertEquals(List.of("serial", "c2-only"), List.copyOf(rows.keySet()));
        assertEquals(List.of("-XX:+UseSerialGC", "-Xmx64m"), rows.get("serial"));
        assertEquals(List.of("-XX:-TieredCompilation"), rows.get("c2-only"));
    }

    @Test
    void aBadEntryIsRefusedWithWhatIsWrong() {
        assertEquals("--w2-jvm: each entry is NAME=FLAGS with a lower-case NAME (a-z, 0-9, -): -XX:+UseSerialGC",
                assertThrows(IllegalArgumentException.class, () -> Runner.w2Jvm("-XX:+UseSerialGC")).getMessage());
        assertEquals("--w2-jvm: serial needs JVM flags, each starting with '-': serial=UseSerialGC",
                assertThrows(IllegalArgumentException.class, () -> Runner.w2Jvm("serial=UseSerialGC")).getMessage());
        assertEquals("--w2-jvm: serial needs JVM flags, each starting with '-': serial=",
                assertThrows(IllegalArgumentException.class, () -> Runner.w2Jvm("serial=")).getMessage());
        assertEquals("--w2-jvm: a twice",
                assertThrows(IllegalArgumentException.class, () -> Runner.w2Jvm("a=-Xint;a=-Xmx1g")).getMessage());
    }
}
