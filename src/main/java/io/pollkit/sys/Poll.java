package io.pollkit.sys;

import io.pollkit.bindings.poll_h;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

import static io.pollkit.bindings.errno_h.EINTR;

/**
 * {@code <poll.h>}: poll(2) over an array of {@code struct pollfd} the caller owns
 * ({@link io.pollkit.bindings.pollfd}). Allocates nothing.
 */
public final class Poll {
    private Poll() {}

    // nfds_t is unsigned long on Linux and unsigned int elsewhere: the Java type is long everywhere.
    private static final MethodHandle POLL = Native.errnoCall("poll", poll_h.poll$descriptor(),
            MethodType.methodType(int.class, MemorySegment.class, long.class, int.class));

    /**
     * poll(2): waits up to {@code timeoutMillis} (-1 forever, 0 not at all) for the first {@code nfds}
     * pollfds of {@code fds}, then returns how many have non-zero {@code revents}, or
     * {@link Results#INTERRUPTED} on EINTR (recompute the timeout and call again).
     */
    public static int poll(MemorySegment fds, long nfds, int timeoutMillis) throws ErrnoException {
        int r = Transport.JNI_SELECTED ? Jni.poll(Jni.address(fds), nfds, timeoutMillis) : ffmPoll(fds, nfds, timeoutMillis);
        if (r >= 0) return r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException("poll(nfds=" + nfds + ", timeout=" + timeoutMillis + ")", -r);
    }

    /** The FFM downcall: the result, or -errno. */
    private static int ffmPoll(MemorySegment fds, long nfds, int timeoutMillis) {
        MemorySegment st = Native.errnoState();
        try {
            return Native.orErrno((int) POLL.invokeExact(st, fds, nfds, timeoutMillis), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
