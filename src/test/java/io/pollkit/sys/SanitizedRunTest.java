package io.pollkit.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs only in the {@code jni-under-asan} execution (pom.xml): holds that the run is what it says, so that a
 * change to the build cannot make it pass quietly over the ordinary libraries. The process must have the ASan
 * runtime mapped, and the JNI twin and the kqueue double it calls must be the sanitized builds of
 * {@code -Dpollkit.sanitized.dir}.
 */
class SanitizedRunTest {
    @Test
    void theSanitizedLibrariesAreTheOnesLoaded() throws IOException {
        String dir = System.getProperty("pollkit.sanitized.dir");
        assertNotNull(dir, "-Dpollkit.sanitized.dir is not set: this test belongs to the jni-under-asan run only");
        assertEquals(Transport.JNI, Transport.CURRENT, "the transport");
        assertTrue(Kqueue.isAvailable(), "the kqueue double: " + Kqueue.unavailableReason());
        Unistd.close(Kqueue.kqueue());   // loads the double (FFM) and hands it to the JNI twin's kevent

        String maps = Files.readString(Path.of("/proc/self/maps"));
        Path asan = Path.of(dir).toRealPath();
        assertTrue(maps.contains("/libasan.so"), "no ASan runtime in /proc/self/maps: is LD_PRELOAD set?");
        for (String lib : new String[] {"libpollkit-jni.so", "libkqueue-double.so"}) {
            assertTrue(maps.contains(asan.resolve(lib).toString()), asan.resolve(lib) + " is not mapped; the libraries are:\n"
                    + maps.lines().filter(l -> l.endsWith(".so") || l.contains(".so.")).map(l -> l.substring(l.lastIndexOf(' ') + 1))
                    .distinct().reduce("", (a, b) -> a + "  " + b + "\n"));
        }
    }
}
