package io.pollkit.uring;

import io.pollkit.bindings.Platform;
import io.pollkit.bindings.io_uring_params;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.IoUring;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.pollkit.bindings.errno_h.ENOSYS;
import static io.pollkit.bindings.errno_h.EPERM;

/**
 * Whether io_uring can be used here, and if not why: asked once, by setting up (and closing) a one-entry ring,
 * since only the kernel knows (a seccomp profile, as Docker's default one, answers EPERM or ENOSYS; the sysctl
 * {@code kernel.io_uring_disabled} makes setup fail with EPERM).
 */
public final class Availability {
    private Availability() {}

    static final Path DISABLED_SYSCTL = Path.of("/proc/sys/kernel/io_uring_disabled");

    private static final String REASON = probe();

    /** Null when io_uring works here; else why not, in words. */
    public static String unavailableReason() {
        return REASON;
    }

    /** Whether io_uring works here. */
    public static boolean isAvailable() {
        return REASON == null;
    }

    private static String probe() {
        if (!Platform.NAME.startsWith("linux-")) return "io_uring is Linux's; this is " + Platform.NAME;
        String sysctl = sysctl();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = io_uring_params.allocate(arena);
            int fd = IoUring.io_uring_setup(1, params);
            Unistd.closeQuietly(fd);
            return null;
        } catch (ErrnoException e) {
            if (e.errno() == ENOSYS()) {
                return "io_uring_setup: ENOSYS: the kernel has no io_uring (before 5.1, built without it, or a seccomp"
                        + " profile hiding it)";
            }
            if (e.errno() == EPERM()) {
                return "io_uring_setup: EPERM: " + (sysctl != null && !sysctl.equals("0")
                        ? "kernel.io_uring_disabled is " + sysctl + (sysctl.equals("1")
                                ? " (only the group kernel.io_uring_group may use it)" : " (disabled for everyone)")
                        : "refused, as a seccomp profile does (Docker's default one)");
            }
            return e.getMessage();
        }
    }

    /** kernel.io_uring_disabled (0 enabled, 1 only for kernel.io_uring_group, 2 disabled), or null before 6.6. */
    private static String sysctl() {
        try {
            return Files.readString(DISABLED_SYSCTL).trim();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
