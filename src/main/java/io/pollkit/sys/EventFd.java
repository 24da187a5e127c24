package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import io.pollkit.bindings.sys_epoll_h;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/eventfd.h>}: eventfd(2), Linux only (a pipe does the same job elsewhere). */
public final class EventFd {
    private EventFd() {}

    private static final MethodHandle EVENTFD = Native.errnoCallOrThrow(Native.LIBC, "eventfd",
            sys_epoll_h.eventfd$descriptor(), "eventfd is Linux only; this is " + Platform.NAME);

    /** Whether eventfd exists here. */
    public static boolean isAvailable() {
        return Native.LIBC.find("eventfd").isPresent();
    }

    /** eventfd(2) with EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE in {@code flags}. */
    public static int eventfd(int initval, int flags) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) EVENTFD.invokeExact(st, initval, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("eventfd(flags=" + flags + ")", Native.errno(st));
        return r;
    }
}
