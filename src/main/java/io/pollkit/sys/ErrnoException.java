package io.pollkit.sys;

import io.pollkit.bindings.errno_h;

import java.io.IOException;

/**
 * A system call failed: carries errno, its symbolic name, the call with its main arguments and
 * strerror's text, as in {@code bind(fd=5, 127.0.0.1:8080): EADDRINUSE (Address already in use)}.
 */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String call;

    public ErrnoException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + Native.strerror(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The errno value, as in {@code <errno.h>}. */
    public int errno() {
        return errno;
    }

    /** The symbolic name of {@link #errno()}, for example {@code EADDRINUSE}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The call that failed, with its main arguments. */
    public String call() {
        return call;
    }

    /** Whether this is {@code expected}, for example {@code e.is(errno_h.ECONNREFUSED)}. */
    public boolean is(int expected) {
        return errno == expected || (expected == errno_h.EWOULDBLOCK() && errno == errno_h.EAGAIN());
    }
}
