package io.pollkit.sys;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.fcntl_h.FD_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.fcntl_h.F_GETFL;
import static io.pollkit.bindings.fcntl_h.F_SETFD;
import static io.pollkit.bindings.fcntl_h.F_SETFL;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;

/** {@code <fcntl.h>}: fcntl(2), a variadic function (bindings.spec says where its variadic part starts). */
public final class Fcntl {
    private Fcntl() {}

    /** fcntl(2) with an int argument (ignored by commands such as F_GETFL); returns its result. */
    public static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        int r;
        do r = Ffm.fcntl(fd, cmd, arg); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("fcntl(fd=" + fd + ", cmd=" + cmd + ")", -r);
        return r;
    }

    /** fcntl(2) without an argument, such as F_GETFL or F_GETFD. */
    public static int fcntl(int fd, int cmd) throws ErrnoException {
        return fcntl(fd, cmd, 0);
    }

    /** Sets or clears O_NONBLOCK. */
    public static void setNonBlocking(int fd, boolean on) throws ErrnoException {
        int flags = fcntl(fd, F_GETFL());
        int want = on ? flags | O_NONBLOCK() : flags & ~O_NONBLOCK();
        if (want != flags) fcntl(fd, F_SETFL(), want);
    }

    /** Sets or clears FD_CLOEXEC. */
    public static void setCloseOnExec(int fd, boolean on) throws ErrnoException {
        int flags = fcntl(fd, F_GETFD());
        int want = on ? flags | FD_CLOEXEC() : flags & ~FD_CLOEXEC();
        if (want != flags) fcntl(fd, F_SETFD(), want);
    }

    /** Applies {@link Portable#NONBLOCK} and {@link Portable#CLOEXEC} with fcntl, on the portable paths. */
    static void applySocketFlags(int fd, int flags) throws ErrnoException {
        if ((flags & Portable.NONBLOCK) != 0) setNonBlocking(fd, true);
        if ((flags & Portable.CLOEXEC) != 0) setCloseOnExec(fd, true);
    }
}
