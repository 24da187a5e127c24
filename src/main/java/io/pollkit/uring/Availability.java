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
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.errno_h.ENOSYS;
import static io.pollkit.bindings.errno_h.EPERM;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_EXT_ARG;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_NODROP;
import static io.pollkit.bindings.io_uring_h.IORING_FEAT_RSRC_TAGS;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_ADD;
import static io.pollkit.bindings.io_uring_h.IORING_OP_POLL_REMOVE;
import static io.pollkit.bindings.io_uring_h.IORING_OP_TIMEOUT;

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
    // ---- What the readiness backend (io.pollkit.poller.IoUringPoller) needs beyond a ring ----

    private static final String KERNEL = "Linux " + System.getProperty("os.version");

    private static final String READINESS_REASON = REASON != null ? REASON : probeReadiness();

    /**
     * Null when the readiness backend can run here: io_uring works ({@link #unavailableReason()}) and the kernel
     * has every opcode and feature it uses; else why not, naming what is missing.
     */
    public static String readinessUnavailableReason() {
        return READINESS_REASON;
    }

    private static String probeReadiness() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = io_uring_params.allocate(arena);
            int fd = IoUring.io_uring_setup(1, params);
            try {
                return missingForReadiness(io_uring_params.features(params), Probe.opcodes(fd));
            } catch (ErrnoException e) {
                if (e.errno() == EINVAL()) {
                    return "io_uring: IORING_REGISTER_PROBE answers EINVAL: the kernel is older than 5.6 (" + KERNEL
                            + "); the readiness backend needs 5.13";
                }
                return e.getMessage();
            } finally {
                Unistd.closeQuietly(fd);
            }
        } catch (ErrnoException e) {
            return e.getMessage();
        }
    }

    /**
     * What the readiness backend misses among the kernel's {@code features} (IORING_FEAT_*) and supported
     * {@code opcodes} (IORING_REGISTER_PROBE), in words, or null when nothing.
     */
    static String missingForReadiness(int features, BitSet opcodes) {
        List<String> missing = new ArrayList<>();
        if (!opcodes.get(IORING_OP_POLL_ADD())) missing.add("IORING_OP_POLL_ADD");
        if (!opcodes.get(IORING_OP_POLL_REMOVE())) missing.add("IORING_OP_POLL_REMOVE");
        if ((features & IORING_FEAT_EXT_ARG()) == 0 && !opcodes.get(IORING_OP_TIMEOUT())) {
            missing.add("IORING_OP_TIMEOUT (timed waits without IORING_FEAT_EXT_ARG)");
        }
        if ((features & IORING_FEAT_NODROP()) == 0) missing.add("IORING_FEAT_NODROP (5.5: a full CQ must not lose a readiness)");
        // Multishot poll and poll updates came in 5.13 with no feature bit of their own; IORING_FEAT_RSRC_TAGS
        // came in the same release, so it stands for them.
        if ((features & IORING_FEAT_RSRC_TAGS()) == 0) {
            missing.add("multishot IORING_OP_POLL_ADD and poll updates (5.13, told by IORING_FEAT_RSRC_TAGS)");
        }
        return missing.isEmpty() ? null : "io_uring: the readiness backend needs " + String.join(", ", missing)
                + ", which this kernel (" + KERNEL + ") lacks";
    }
}
