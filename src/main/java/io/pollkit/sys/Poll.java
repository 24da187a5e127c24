package io.pollkit.sys;

import io.pollkit.bindings.pollfd;

import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EINTR;

/**
 * {@code <poll.h>}: poll(2) over an array of {@code struct pollfd} the caller owns
 * ({@link io.pollkit.bindings.pollfd}). Allocates nothing.
 */
public final class Poll {
    private Poll() {}

    /**
     * poll(2): waits up to {@code timeoutMillis} (-1 forever, 0 not at all) for the first {@code nfds}
     * pollfds of {@code fds}, then returns how many have non-zero {@code revents}, or
     * {@link Results#INTERRUPTED} on EINTR (recompute the timeout and call again). {@code nfds} past the
     * pollfds {@code fds} holds, or negative, is an IndexOutOfBoundsException before the call.
     */
    public static int poll(MemorySegment fds, long nfds, int timeoutMillis) throws ErrnoException {
        Bounds.elements(fds, nfds, pollfd.sizeof(), "poll", "nfds");
        int r = Transport.JNI_SELECTED ? Jni.poll(Jni.address(fds), nfds, timeoutMillis) : Ffm.poll(fds, nfds, timeoutMillis);
        if (r >= 0) return r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException("poll(nfds=" + nfds + ", timeout=" + timeoutMillis + ")", -r);
    }
}
