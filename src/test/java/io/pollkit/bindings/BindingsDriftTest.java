package io.pollkit.bindings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regenerates the bindings from the real headers into a temporary folder and fails on any
 * difference from the checked-in ones: the host's always, linux-aarch64 too when its cross compiler
 * is installed, darwin-aarch64 and darwin-x86_64 when zig is (.ci/run installs both).
 */
class BindingsDriftTest {

    @Test
    void regeneratedBindingsEqualTheCheckedInOnes(@TempDir Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("perl", "bindings/mkbindings", "--out", out.toString(), "host"));
        if (Project.onPath("aarch64-linux-gnu-gcc")) {
            cmd.add("linux-aarch64");
        } else {
            System.out.println("SKIPPED drift check of linux-aarch64: aarch64-linux-gnu-gcc is not installed "
                    + "(apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross); its checked-in answers are reused");
        }
        if (Project.zig() != null) {
            cmd.addAll(List.of("darwin-aarch64", "darwin-x86_64"));
        } else {
            System.out.println("SKIPPED drift check of darwin-aarch64 and darwin-x86_64: no zig 0.11+ ($ZIG, PATH, or "
                    + "scripts/install-zig, which .ci/run calls); their checked-in answers are reused");
        }
        String log = Project.run(cmd);
        Path checkedIn = Project.DIR.resolve("bindings");
        for (String sub : List.of("answers", "java")) {
            TreeSet<Path> want = files(checkedIn.resolve(sub)), got = files(out.resolve(sub));
            assertEquals(want, got, "the generated " + sub + " files differ in name\n" + log);
            for (Path f : want) {
                assertEquals(Files.readString(checkedIn.resolve(sub).resolve(f)), Files.readString(out.resolve(sub).resolve(f)),
                        "bindings/" + sub + "/" + f + " differs from what `make bindings` generates now: regenerate it");
            }
        }
        assertTrue(log.contains("answers from"), log);
    }

    private static TreeSet<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            TreeSet<Path> set = new TreeSet<>();
            s.filter(Files::isRegularFile).forEach(p -> set.add(root.relativize(p)));
            return set;
        }
    }
}
