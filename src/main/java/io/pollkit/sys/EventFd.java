package io.pollkit.sys;

import static io.pollkit.bindings.errno_h.EINTR;

/** {@code <sys/eventfd.h>}: eventfd(2), Linux only (a pipe does the same job elsewhere). */
public final class EventFd {
    private EventFd() {}

    /** Whether eventfd exists here. */
    public static boolean isAvailable() {
        return Portable.EVENTFD;
    }

    /** eventfd(2) with EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE in {@code flags}. */
    public static int eventfd(int initval, int flags) throws ErrnoException {
        int r;
        do r = Ffm.eventfd(initval, flags); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("eventfd(flags=" + flags + ")", -r);
        return r;
    }
}
