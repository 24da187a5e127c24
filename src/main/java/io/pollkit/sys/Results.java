package io.pollkit.sys;

/**
 * The sentinel results of the syscall layer: conditions a caller handles on its hot path are return
 * values, never exceptions, and distinct ones. Everything else is an {@link ErrnoException}; a length
 * or count outside its segment is an IndexOutOfBoundsException before the call.
 *
 * <p>EINTR rule, for every call of {@code io.pollkit.sys}:
 * <ul>
 *   <li>waits ({@code poll}, {@code select}, {@code pselect}, {@code epoll_wait}, {@code kevent}):
 *       return {@link #INTERRUPTED}, so the caller recomputes its remaining timeout and waits again;</li>
 *   <li>{@code connect}: reports "in progress" (POSIX: the connection goes on asynchronously);</li>
 *   <li>{@code close}: never retried nor reported (Linux has released the fd even when close reports EINTR);</li>
 *   <li>every other call is retried at once (getaddrinfo and getnameinfo when they report EAI_SYSTEM
 *       with errno EINTR).</li>
 * </ul>
 */
public final class Results {
    private Results() {}

    /** A non-blocking transfer or accept would block (EAGAIN/EWOULDBLOCK); try again when the fd is ready. */
    public static final int WOULD_BLOCK = -1;

    /** A wait was interrupted by a signal (EINTR); recompute the timeout and wait again. */
    public static final int INTERRUPTED = -2;
}
