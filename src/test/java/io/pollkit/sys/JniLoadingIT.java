package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import io.pollkit.probe.JniLoadProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How -Dpollkit.transport=jni finds its library, each case in a child JVM whose working directory is a fresh
 * temporary directory outside the project, on the library jar Maven just packaged (failsafe, after `package`):
 * the library the jar carries (module path and class path), the -Dpollkit.jni.lib override, and the one-line
 * errors for a platform the jar has no library for, a missing file, a library from another version and one
 * for another architecture.
 */
class JniLoadingIT {
    private static final Path JAR = Path.of(System.getProperty("pollkit.jar"));
    private static final Path NATIVE = Path.of(System.getProperty("pollkit.native.dir"));
    private static final Path TEST_CLASSES = Path.of(System.getProperty("pollkit.test.classes"));
    private static final String PREFIX = "java.lang.UnsatisfiedLinkError: -Dpollkit.transport=jni on ";

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    /** java [jvmArgs] JniLoadProbe, in {@link #dir}, with java.io.tmpdir at dir/tmp; at most a minute. */
    private Run probe(boolean modulePath, String... jvmArgs) throws Exception {
        Files.createDirectories(dir.resolve("tmp"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir.resolve("tmp"), "-Dpollkit.transport=jni"));
        command.addAll(List.of(jvmArgs));
        if (modulePath) {
            command.addAll(List.of("--enable-native-access=io.pollkit", "-p", JAR.toString(), "--add-modules", "io.pollkit",
                    "-cp", TEST_CLASSES.toString()));
        } else {
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", JAR + ":" + TEST_CLASSES));
        }
        command.add(JniLoadProbe.class.getName());
        Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the probe did not exit within 60 s: " + command);
        }
        return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private void assertLoadedPackaged(Run run) throws IOException {
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("transport=jni\ngetpid ok=true\n"), run.out());
        // Extracted into java.io.tmpdir, mapped by the loader, and its name already gone.
        String mapped = run.out().lines().filter(l -> l.startsWith("mapped ")).findFirst().orElseThrow(() -> new AssertionError(run.out()));
        assertTrue(mapped.startsWith("mapped " + dir.resolve("tmp").resolve("libpollkit-jni-")), mapped);
        assertTrue(mapped.endsWith(" (deleted)"), mapped);
        try (var left = Files.list(dir.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "nothing left in java.io.tmpdir");
        }
    }

    @Test
    void theJarCarriesTheLibrary() throws IOException {
        try (var jar = new java.util.jar.JarFile(JAR.toFile())) {
            assertTrue(jar.getEntry("META-INF/native/" + Platform.NAME + "/libpollkit-jni.so") != null,
                    JAR + " has no META-INF/native/" + Platform.NAME + "/libpollkit-jni.so");
        }
    }

    @Test
    void loadsTheLibraryFromTheJarOnTheModulePath() throws Exception {
        assertLoadedPackaged(probe(true));
    }

    @Test
    void loadsTheLibraryFromTheJarOnTheClassPath() throws Exception {
        assertLoadedPackaged(probe(false));
    }

    @Test
    void thePropertyOverridesTheJar() throws Exception {
        Path lib = NATIVE.resolve("libpollkit-jni.so");
        Run run = probe(true, "-Dpollkit.jni.lib=" + lib);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("transport=jni\ngetpid ok=true\nmapped " + lib + "\n"), run.out());
    }

    @Test
    void noLibraryForThisPlatformIsOneClearError() throws Exception {
        Run run = probe(true, "-Dos.arch=sparcv9");
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.err().contains(PREFIX + "linux-sparcv9: the resource META-INF/native/linux-sparcv9/libpollkit-jni.so of the "
                + "pollkit jar (-Dpollkit.jni.lib is not set): this jar has no JNI library for linux-sparcv9; build one there with "
                + "`make jni` and name it with -Dpollkit.jni.lib=PATH\n"), run.err());
    }

    /** macOS has bindings (Platform.SUPPORTED) but the JNI twin is built for the host only: the jar has none for it. */
    @Test
    void noLibraryForASupportedPlatformIsOneClearError() throws Exception {
        Run run = probe(true, "-Dos.name=Mac OS X", "-Dos.arch=aarch64");
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.err().contains(PREFIX + "darwin-aarch64: the resource META-INF/native/darwin-aarch64/libpollkit-jni.so of the "
                + "pollkit jar (-Dpollkit.jni.lib is not set): this jar has no JNI library for darwin-aarch64; build one there with "
                + "`make jni` and name it with -Dpollkit.jni.lib=PATH\n"), run.err());
    }

    @Test
    void aMissingFileIsOneClearError() throws Exception {
        Run run = probe(false, "-Dpollkit.jni.lib=/nonexistent/libpollkit-jni.so");
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.err().contains(PREFIX + Platform.NAME + ": -Dpollkit.jni.lib=/nonexistent/libpollkit-jni.so: no such file\n"),
                run.err());
    }

    @Test
    void aLibraryFromAnotherVersionIsRefused() throws Exception {
        Path lib = NATIVE.resolve("mismatched/libpollkit-jni.so");   // make -C native/jni mismatched: ABI 0
        Run run = probe(true, "-Dpollkit.jni.lib=" + lib);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.err().contains(PREFIX + Platform.NAME + ": -Dpollkit.jni.lib=" + lib + ": built from another pollkit "
                + "version: its JNI ABI is 0, this pollkit's is 1; rebuild it from this version (`make jni`)\n"), run.err());
    }

    @Test
    void aLibraryForAnotherArchitectureIsRefused() throws Exception {
        // The real library with its ELF header's e_machine changed: x86_64 (62) <-> aarch64 (183).
        Path lib = Files.copy(NATIVE.resolve("libpollkit-jni.so"), dir.resolve("libpollkit-jni.so"));
        try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer machine = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(machine, 18);
            short other = machine.getShort(0) == 62 ? (short) 183 : (short) 62;
            ch.write(machine.clear().putShort(other).flip(), 18);
        }
        Run run = probe(false, "-Dpollkit.jni.lib=" + lib);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.err().contains(PREFIX + Platform.NAME + ": -Dpollkit.jni.lib=" + lib + ": not a libpollkit-jni this pollkit "
                + "can load (java.lang.UnsatisfiedLinkError: "), run.err());
    }
}
