package io.pollkit.sys;

/**
 * The sentinel results of the syscall layer: conditions a caller handles on its hot path are return
 * values, never exceptions. Everything else is an {@link ErrnoException}.
 *
 * <p>EINTR policy, per call:
 * <ul>
 *   <li>waits ({@code poll}, {@code select}, {@code pselect}, {@code epoll_wait}, {@code kevent}):
 *       return {@link #INTERRUPTED}, so the caller recomputes its remaining timeout and waits again;</li>
 *   <li>{@code connect}: reports "in progress" (POSIX: the connection goes on asynchronously);</li>
 *   <li>{@code close}: never retried (Linux has released the fd even when close reports EINTR);</li>
 *   <li>every other call is retried at once.</li>
 * </ul>
 */
public final class Results {
    private Results() {}

    /** A non-blocking call would block (EAGAIN/EWOULDBLOCK); try again when the fd is ready. */
    public static final int WOULD_BLOCK = -1;

    /** A wait was interrupted by a signal (EINTR); recompute the timeout and wait again. */
    public static final int INTERRUPTED = -2;
}
