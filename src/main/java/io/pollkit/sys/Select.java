package io.pollkit.sys;

import io.pollkit.bindings.sys_select_h;
import io.pollkit.bindings.timespec;
import io.pollkit.bindings.timeval;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.pollkit.bindings.errno_h.EINTR;

/**
 * {@code <sys/select.h>}: select(2) and pselect(2) over fd_sets the caller owns ({@link FdSet}).
 * Allocates nothing. Linux select rewrites the timeval; pass a fresh one each call.
 */
public final class Select {
    private Select() {}

    private static final MethodHandle SELECT = Native.errnoCall("select", sys_select_h.select$descriptor());
    private static final MethodHandle PSELECT = Native.errnoCall("pselect", sys_select_h.pselect$descriptor());

    /**
     * select(2): {@code nfds} is the highest fd plus one; any set may be null; {@code timeout} is a
     * {@code struct timeval}, or null to wait forever. Returns the number of ready fds, or
     * {@link Results#INTERRUPTED} on EINTR.
     */
    public static int select(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
                             MemorySegment timeout) throws ErrnoException {
        int r = Transport.JNI_SELECTED
                ? Jni.select(nfds, Jni.address(readfds), Jni.address(writefds), Jni.address(exceptfds), Jni.address(timeout))
                : ffmSelect(nfds, readfds, writefds, exceptfds, timeout);
        return result(r, "select", nfds);
    }

    /** The FFM downcall: the result, or -errno. */
    private static int ffmSelect(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
                                 MemorySegment timeout) {
        MemorySegment st = Native.errnoState();
        try {
            return Native.orErrno((int) SELECT.invokeExact(st, nfds, Native.orNull(readfds), Native.orNull(writefds),
                    Native.orNull(exceptfds), Native.orNull(timeout)), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * pselect(2): like select with a {@code struct timespec} timeout (null: forever) and a signal mask
     * ({@code sigset_t}, or null to keep the current one).
     */
    public static int pselect(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
                              MemorySegment timeout, MemorySegment sigmask) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) PSELECT.invokeExact(st, nfds, Native.orNull(readfds), Native.orNull(writefds),
                    Native.orNull(exceptfds), Native.orNull(timeout), Native.orNull(sigmask));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return result(Native.orErrno(r, st), "pselect", nfds);
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
