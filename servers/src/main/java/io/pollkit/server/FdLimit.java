package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Rlimit;

import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;

/**
 * How many clients a server can hold: one fd each, under RLIMIT_NOFILE. The soft limit is often 1024 for
 * historical reasons (select's FD_SETSIZE) while the hard limit is far higher; a server raises the soft
 * limit to the hard one at start, as Go's runtime (1.19+) and HotSpot ({@code -XX:+MaxFDLimit}) do.
 */
public final class FdLimit {
    private FdLimit() {}

    /**
     * Fds kept back from the clients: the JVM's own (its jars, the JIT's, stdio: about 20 in a small JVM),
     * the listener, the poller and its waker, and the one a refused client takes while it is answered.
     */
    public static final int RESERVE = 64;

    /**
     * Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force afterwards.
     * A failure (none is expected: raising the soft limit up to the hard one needs no privilege) leaves the
     * limit as it was.
     */
    public static long raise() throws ErrnoException {
        Rlimit.Limit l = Rlimit.getrlimit(RLIMIT_NOFILE());
        if (l.cur() != l.max()) Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(l.max(), l.max()));
        return soft();
    }

    /** The soft RLIMIT_NOFILE now in force. */
    public static long soft() throws ErrnoException {
        return Rlimit.getrlimit(RLIMIT_NOFILE()).cur();
    }

    /** The hard RLIMIT_NOFILE: what the soft limit becomes after {@link #raise()}. */
    public static long hard() throws ErrnoException {
        return Rlimit.getrlimit(RLIMIT_NOFILE()).max();
    }

    /**
     * The clients a server on {@code backend} holds by default under a limit of {@code fdLimit} fds: the limit
     * minus {@link #RESERVE}, at least 1; select watches fds below FD_SETSIZE only, so it counts FD_SETSIZE at most.
     * RLIM_INFINITY (all ones: negative as a long) counts as unlimited.
     */
    public static int maxClients(long fdLimit, Backend backend) {
        return maxClients(fdLimit, backend, 1);
    }

    /**
     * Fds each event loop past the first takes besides its clients: its poller, its waker (a pipe's two ends where
     * there is no eventfd) and its listener.
     */
    public static final int PER_LOOP = 4;

    /** Like {@link #maxClients(long, Backend)} for a server of {@code loops} event loops: {@link #PER_LOOP} less per extra loop. */
    public static int maxClients(long fdLimit, Backend backend, int loops) {
        long fds = fdLimit < 0 ? Long.MAX_VALUE : fdLimit;
        if (backend == Backend.SELECT) fds = Math.min(fds, FdSet.FD_SETSIZE);
        return (int) Math.clamp(fds - RESERVE - (long) PER_LOOP * (loops - 1), 1, Integer.MAX_VALUE);
    }
}
