package io.pollkit.loop;

import io.pollkit.sys.ErrnoException;

import java.io.IOException;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.errno_h.ECONNABORTED;
import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.errno_h.EFAULT;
import static io.pollkit.bindings.errno_h.EHOSTDOWN;
import static io.pollkit.bindings.errno_h.EHOSTUNREACH;
import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.errno_h.EMFILE;
import static io.pollkit.bindings.errno_h.ENETDOWN;
import static io.pollkit.bindings.errno_h.ENETUNREACH;
import static io.pollkit.bindings.errno_h.ENFILE;
import static io.pollkit.bindings.errno_h.ENOBUFS;
import static io.pollkit.bindings.errno_h.ENOMEM;
import static io.pollkit.bindings.errno_h.ENONET;
import static io.pollkit.bindings.errno_h.ENOPROTOOPT;
import static io.pollkit.bindings.errno_h.ENOSR;
import static io.pollkit.bindings.errno_h.ENOTSOCK;
import static io.pollkit.bindings.errno_h.EOPNOTSUPP;
import static io.pollkit.bindings.errno_h.EPERM;
import static io.pollkit.bindings.errno_h.EPROTO;
import static io.pollkit.bindings.errno_h.EPROTONOSUPPORT;
import static io.pollkit.bindings.errno_h.ESOCKTNOSUPPORT;
import static io.pollkit.bindings.errno_h.ETIMEDOUT;

/**
 * What a failed accept(2) on a listening socket means, and so what an accept loop does next: the one
 * classification every accept loop of pollkit uses ({@link Acceptor}, the raw tick servers).
 *
 * <p>From accept(2): Linux passes errors of the new connection, already pending, on as accept's own error
 * ("treat them like EAGAIN by retrying"), so one bad peer must never stop a server; running out of fds,
 * buffers or memory passes by itself, but retrying at once would spin; and a few errnos say the listening
 * socket itself cannot accept again. An errno this class does not know is taken as {@link #OUT_OF_RESOURCES}:
 * retried after a pause, which never spins and never gives up on a server for an error it cannot judge.
 */
public enum AcceptError {
    /**
     * The new connection failed before it was accepted (ECONNABORTED, EPROTO, ENOPROTOOPT, ENETDOWN,
     * EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EPERM from a firewall rule, ETIMEDOUT, ...):
     * log it and accept the next one at once.
     */
    CONNECTION_FAILED,
    /** The process or the system is out of fds, buffers or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): pause, then retry. */
    OUT_OF_RESOURCES,
    /**
     * The listening socket is unusable (EBADF, EINVAL: not listening or shut down, ENOTSOCK, EFAULT): no retry
     * can succeed, so the server must end, not live on without accepting.
     */
    LISTENER_BROKEN;

    /** The class of accept's {@code errno}. */
    public static AcceptError of(int errno) {
        if (errno == EBADF() || errno == EINVAL() || errno == ENOTSOCK() || errno == EFAULT()) return LISTENER_BROKEN;
        if (errno == EMFILE() || errno == ENFILE() || errno == ENOBUFS() || errno == ENOMEM() || errno == ENOSR()) return OUT_OF_RESOURCES;
        if (errno == ECONNABORTED() || errno == EPROTO() || errno == ENOPROTOOPT() || errno == ENETDOWN() || errno == EHOSTDOWN()
                || errno == ENONET() || errno == EHOSTUNREACH() || errno == EOPNOTSUPP() || errno == ENETUNREACH()
                || errno == EPERM() || errno == ETIMEDOUT() || errno == ECONNRESET() || errno == ESOCKTNOSUPPORT()
                || errno == EPROTONOSUPPORT()) {
            return CONNECTION_FAILED;
        }
        return OUT_OF_RESOURCES;
    }

    /** The failure to report for a {@link #LISTENER_BROKEN} error: one line, the call and errno first. */
    public static IOException listenerBroken(ErrnoException e) {
        return new IOException(e.getMessage() + "; the listening socket cannot accept connections any more", e);
    }
}
