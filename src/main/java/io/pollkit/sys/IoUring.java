package io.pollkit.sys;

import io.pollkit.bindings.io_uring_params;

import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.errno_h.ETIME;
import static io.pollkit.bindings.io_uring_h.__NR_io_uring_enter;
import static io.pollkit.bindings.io_uring_h.__NR_io_uring_register;
import static io.pollkit.bindings.io_uring_h.__NR_io_uring_setup;

/**
 * {@code <linux/io_uring.h>}: io_uring_setup, io_uring_enter and io_uring_register (Linux 5.1 and later).
 * glibc has no wrappers, so they go through syscall(2) with the numbers of {@code <sys/syscall.h>}; every
 * argument travels as a {@code long}, as the kernel reads its registers. The rings themselves are
 * {@code io.pollkit.uring}'s.
 */
public final class IoUring {
    private IoUring() {}

    /**
     * io_uring_setup(2): a ring of at least {@code entries} submission entries, as {@code params} (one
     * {@code io_uring_params}, flags and options filled in) asks; the kernel writes the rest of {@code params}
     * (sizes, features, ring offsets). The ring's fd.
     */
    public static int io_uring_setup(int entries, MemorySegment params) throws ErrnoException {
        native_(params, "io_uring_setup", "the io_uring_params");
        Bounds.struct(params, io_uring_params.sizeof(), "io_uring_setup", "the io_uring_params");
        long r = Ffm.syscall(__NR_io_uring_setup(), entries, params.address(), 0, 0, 0, 0);
        if (r < 0) {
            throw new ErrnoException("io_uring_setup(entries=" + entries + ", flags=0x"
                    + Integer.toHexString(io_uring_params.flags(params)) + ")", (int) -r);
        }
        return (int) r;
    }

    /**
     * io_uring_enter(2) without a signal mask: submits {@code toSubmit} entries and, with
     * IORING_ENTER_GETEVENTS, waits until {@code minComplete} completions are in the CQ (flushing overflowed
     * ones). The number of entries submitted, or {@link Results#INTERRUPTED} when a signal came first (then
     * none was submitted).
     */
    public static int io_uring_enter(int fd, int toSubmit, int minComplete, int flags) throws ErrnoException {
        long r = Ffm.syscall(__NR_io_uring_enter(), fd, toSubmit, minComplete, flags, 0, 0);
        if (r >= 0) return (int) r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException("io_uring_enter(fd=" + fd + ", to_submit=" + toSubmit + ", min_complete="
                + minComplete + ", flags=0x" + Integer.toHexString(flags) + ")", (int) -r);
    }

    /**
     * io_uring_enter(2) with an argument, as {@code flags} says: IORING_ENTER_EXT_ARG with {@code arg} one
     * {@code struct io_uring_getevents_arg} ({@code argSize} its size) whose {@code ts} bounds the wait. As
     * {@link #io_uring_enter(int, int, int, int)}, and a wait that ran out of time (ETIME) is no error: the
     * number submitted is returned, 0. The kernel copies {@code arg} and its timespec during the call.
     */
    public static int io_uring_enter(int fd, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize)
            throws ErrnoException {
        native_(arg, "io_uring_enter", "arg");
        if (argSize < 0 || argSize > arg.byteSize()) {
            throw new IndexOutOfBoundsException("io_uring_enter: argsz " + argSize + " is outside the "
                    + arg.byteSize() + "-byte arg");
        }
        long r = Ffm.syscall(__NR_io_uring_enter(), fd, toSubmit, minComplete, flags, arg.address(), argSize);
        if (r >= 0) return (int) r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        if (r == -ETIME()) return 0;
        throw new ErrnoException("io_uring_enter(fd=" + fd + ", to_submit=" + toSubmit + ", min_complete="
                + minComplete + ", flags=0x" + Integer.toHexString(flags) + ", argsz=" + argSize + ")", (int) -r);
    }

    /**
     * io_uring_register(2): {@code opcode} (IORING_REGISTER_*) with {@code arg} ({@code nrArgs} of whatever the
     * opcode takes; NULL where it takes nothing). The opcode's result, usually 0. EINTR is retried: registration
     * has no partial effect.
     */
    public static int io_uring_register(int fd, int opcode, MemorySegment arg, int nrArgs) throws ErrnoException {
        if (arg != null && !arg.equals(MemorySegment.NULL)) native_(arg, "io_uring_register", "arg");
        long address = arg == null ? 0 : arg.address();
        long r;
        do r = Ffm.syscall(__NR_io_uring_register(), fd, opcode, address, nrArgs, 0, 0); while (r == -EINTR());
        if (r < 0) {
            throw new ErrnoException("io_uring_register(fd=" + fd + ", opcode=" + opcode + ", nr_args=" + nrArgs + ")",
                    (int) -r);
        }
        return (int) r;
    }

    // The kernel gets the address as a number: a heap segment's address() is not one.
    private static void native_(MemorySegment s, String call, String what) {
        if (!s.isNative()) throw new IllegalArgumentException(call + ": " + what + " must be a native segment");
    }
}
