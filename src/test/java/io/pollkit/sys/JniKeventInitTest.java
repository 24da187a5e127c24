package io.pollkit.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JNI twin's kevent_init on a library without kevent: it says so and leaves nothing of that library
 * loaded (dlclose on the failure path). Runs only in the {@code conformance-over-jni} execution.
 */
@Timeout(30)
class JniKeventInitTest {
    @Test
    void aLibraryWithoutKeventIsUnloadedAgain(@TempDir Path dir) throws IOException {
        assertEquals(Transport.JNI, Transport.CURRENT, "runs over JNI only");
        // A copy of the JNI library itself: no kevent in it, no constructors, its dependencies already loaded,
        // and a file of its own, so that dlopen maps it anew instead of returning the loaded original.
        Path copy = dir.resolve("libno-kevent.so");
        String override = System.getProperty(Transport.LIBRARY_PROPERTY);
        if (override != null) {
            Files.copy(Path.of(override), copy);
        } else {
            try (var packaged = Jni.class.getResourceAsStream("/" + Jni.resource(io.pollkit.bindings.Platform.NAME))) {
                assertTrue(packaged != null, "no packaged JNI library for " + io.pollkit.bindings.Platform.NAME);
                Files.copy(packaged, copy);
            }
        }
        assertEquals("the library has no kevent symbol", Jni.kevent_init(copy.toString()));
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(copy.toString())).toList();
        assertTrue(mapped.isEmpty(), "still mapped after kevent_init failed:\n" + String.join("\n", mapped));
    }
}
