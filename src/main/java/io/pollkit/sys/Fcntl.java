package io.pollkit.sys;

import io.pollkit.bindings.fcntl_h;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.fcntl_h.FD_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.fcntl_h.F_GETFL;
import static io.pollkit.bindings.fcntl_h.F_SETFD;
import static io.pollkit.bindings.fcntl_h.F_SETFL;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_NONBLOCK;

/** {@code <fcntl.h>}: fcntl(2), a variadic function, linked with {@code Linker.Option.firstVariadicArg}. */
public final class Fcntl {
    private Fcntl() {}

    private static final MethodHandle FCNTL = Native.errnoCall("fcntl", fcntl_h.fcntl$descriptor(),
            Linker.Option.firstVariadicArg(fcntl_h.fcntl$firstVariadicArg()));

    /** fcntl(2) with an int argument (ignored by commands such as F_GETFL); returns its result. */
    public static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        try {
            for (;;) {
                int r = (int) FCNTL.invokeExact(st, fd, cmd, arg);
                if (r >= 0) return r;
                int e = Native.errno(st);
                if (e != EINTR()) throw new ErrnoException("fcntl(fd=" + fd + ", cmd=" + cmd + ")", e);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
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

    /** Applies accept4's SOCK_NONBLOCK/SOCK_CLOEXEC with fcntl, where accept4 does not exist. */
    static void applySocketFlags(int fd, int flags) throws ErrnoException {
        if ((flags & SOCK_NONBLOCK()) != 0) setNonBlocking(fd, true);
        if ((flags & SOCK_CLOEXEC()) != 0) setCloseOnExec(fd, true);
    }
}
