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
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) SELECT.invokeExact(st, nfds, Native.orNull(readfds), Native.orNull(writefds),
                    Native.orNull(exceptfds), Native.orNull(timeout));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return result(r, st, "select", nfds);
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
        return result(r, st, "pselect", nfds);
    }

    private static int result(int r, MemorySegment st, String call, int nfds) throws ErrnoException {
        if (r >= 0) return r;
        int e = Native.errno(st);
        if (e == EINTR) return Results.INTERRUPTED;
        throw new ErrnoException(call + "(nfds=" + nfds + ")", e);
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
