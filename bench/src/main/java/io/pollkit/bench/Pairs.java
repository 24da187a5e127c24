package io.pollkit.bench;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Rlimit;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.util.Arrays;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;

/**
 * W1's N connected AF_UNIX socketpairs, laid out as {@code w1-dispatch.c} lays them out: the read ends
 * take the N lowest free fds and the write ends go above them, so that select can watch N=1000 below
 * FD_SETSIZE. Before the first pair, {@code top} is the first fd above the N lowest free fds (probed
 * with F_GETFD); each write end is moved there with F_DUPFD_CLOEXEC and its original closed.
 */
final class Pairs implements AutoCloseable {
    /** Read end (sv[0]) of pair i. */
    final int[] read;
    /** Write end of pair i. */
    final int[] write;

    private Pairs(int[] read, int[] write) {
        this.read = read;
        this.write = write;
    }

    /** The highest read end, for select's nfds. */
    int maxRead() {
        int max = -1;
        for (int fd : read) max = Math.max(max, fd);
        return max;
    }

    /** Raises the RLIMIT_NOFILE soft limit to the hard limit (N=9000 needs ~18000 fds); returns the new soft limit. */
    static long raiseNofile() throws ErrnoException {
        Rlimit.Limit limit = Rlimit.getrlimit(RLIMIT_NOFILE());
        if (Long.compareUnsigned(limit.cur(), limit.max()) < 0) {
            Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(limit.max(), limit.max()));
        }
        long cur = Rlimit.getrlimit(RLIMIT_NOFILE()).cur();
        return cur < 0 ? Long.MAX_VALUE : cur;   // RLIM_INFINITY is all ones
    }

    /** Opens N pairs with the layout above; raises RLIMIT_NOFILE first. */
    static Pairs open(int n) throws ErrnoException {
        long nofile = raiseNofile();
        if (2L * n + 64 > nofile) {
            throw new IllegalStateException("N=" + n + " socketpairs need " + 2 * n + " fds but RLIMIT_NOFILE is "
                    + nofile + " (raise the hard limit: ulimit -Hn)");
        }
        int top = 0;
        for (int free = 0; free < n; top++) {   // bounded: top < nofile
            if (top >= nofile) throw new IllegalStateException("fewer than " + n + " free fds below RLIMIT_NOFILE (" + nofile + ")");
            if (!isOpen(top)) free++;
        }
        int[] read = new int[n], write = new int[n];
        Arrays.fill(read, -1);   // so that close() after a failure closes only what was opened
        Arrays.fill(write, -1);
        Pairs pairs = new Pairs(read, write);
        try {
            for (int i = 0; i < n; i++) {
                int[] sv = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
                read[i] = sv[0];
                try {
                    write[i] = Fcntl.fcntl(sv[1], F_DUPFD_CLOEXEC(), top);
                } finally {
                    Unistd.close(sv[1]);
                }
            }
        } catch (ErrnoException | RuntimeException e) {
            pairs.close();
            throw e;
        }
        return pairs;
    }

    private static boolean isOpen(int fd) throws ErrnoException {
        try {
            Fcntl.fcntl(fd, F_GETFD());
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == EBADF()) return false;
            throw e;
        }
    }

    int size() {
        return read.length;
    }

    @Override
    public void close() {
        for (int fd : read) Unistd.closeQuietly(fd);
        for (int fd : write) Unistd.closeQuietly(fd);
    }
}
