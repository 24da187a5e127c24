package io.pollkit.sys;

import io.pollkit.bindings.fd_set;
import io.pollkit.bindings.timespec;
import io.pollkit.bindings.timeval;

import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EINTR;

/**
 * {@code <sys/select.h>}: select(2) and pselect(2) over fd_sets the caller owns ({@link FdSet}).
 * Allocates nothing. Linux select rewrites the timeval; pass a fresh one each call.
 */
public final class Select {
    private Select() {}

    /**
     * select(2): {@code nfds} is the highest fd plus one; any set may be null; {@code timeout} is a
     * {@code struct timeval}, or null to wait forever. Returns the number of ready fds, or
     * {@link Results#INTERRUPTED} on EINTR. {@code nfds} outside {@code [0, FD_SETSIZE]}, or a set or
     * timeout segment smaller than its struct, is an IndexOutOfBoundsException before the call.
     */
    public static int select(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
                             MemorySegment timeout) throws ErrnoException {
        checkSets("select", nfds, readfds, writefds, exceptfds);
        Bounds.struct(timeout, timeval.sizeof(), "select", "the timeval");
        int r = Transport.JNI_SELECTED
                ? Jni.select(nfds, Jni.address(readfds), Jni.address(writefds), Jni.address(exceptfds), Jni.address(timeout))
                : Ffm.select(nfds, Native.orNull(readfds), Native.orNull(writefds), Native.orNull(exceptfds), Native.orNull(timeout));
        return result(r, "select", nfds);
    }

    /**
     * pselect(2): like select with a {@code struct timespec} timeout (null: forever) and a signal mask
     * ({@code sigset_t}, or null to keep the current one; only read).
     */
    public static int pselect(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
                              MemorySegment timeout, MemorySegment sigmask) throws ErrnoException {
        checkSets("pselect", nfds, readfds, writefds, exceptfds);
        Bounds.struct(timeout, timespec.sizeof(), "pselect", "the timespec");
        int r = Ffm.pselect(nfds, Native.orNull(readfds), Native.orNull(writefds), Native.orNull(exceptfds),
                Native.orNull(timeout), Native.orNull(sigmask));
        return result(r, "pselect", nfds);
    }

    /** The kernel reads and rewrites nfds bits of each set: nfds within FD_SETSIZE, each set a whole fd_set. */
    private static void checkSets(String call, int nfds, MemorySegment readfds, MemorySegment writefds,
                                  MemorySegment exceptfds) {
        if (Integer.compareUnsigned(nfds, FdSet.FD_SETSIZE) > 0) {   // negative too
            throw new IndexOutOfBoundsException(call + ": nfds=" + nfds + " is outside [0, FD_SETSIZE=" + FdSet.FD_SETSIZE + "]");
        }
        Bounds.struct(readfds, fd_set.sizeof(), call, "readfds");
        Bounds.struct(writefds, fd_set.sizeof(), call, "writefds");
        Bounds.struct(exceptfds, fd_set.sizeof(), call, "exceptfds");
    }

    /** The wait policy for {@code r}, the result or -errno: INTERRUPTED on EINTR, else ErrnoException. */
    private static int result(int r, String call, int nfds) throws ErrnoException {
        if (r >= 0) return r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException(call + "(nfds=" + nfds + ")", -r);
    }

    /** Fills a {@code struct timeval} with {@code millis} milliseconds and returns it. */
    public static MemorySegment timeval(MemorySegment tv, long millis) {
        timeval.tv_sec(tv, millis / 1000);
        timeval.tv_usec(tv, (millis % 1000) * 1000);
        return tv;
    }

    /** Fills a {@code struct timespec} with {@code millis} milliseconds and returns it. */
    public static MemorySegment timespec(MemorySegment ts, long millis) {
        timespec.tv_sec(ts, millis / 1000);
        timespec.tv_nsec(ts, (millis % 1000) * 1_000_000);
        return ts;
    }
}
