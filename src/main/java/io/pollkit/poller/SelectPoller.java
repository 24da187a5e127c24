package io.pollkit.poller;

import io.pollkit.bindings.fd_set;
import io.pollkit.bindings.timeval;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Results;
import io.pollkit.sys.Select;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EEXIST;
import static io.pollkit.bindings.errno_h.ENOENT;

/**
 * The select backend: master fd_sets of the interest, copied into working sets before every wait because
 * select overwrites them; the kernel and this class both scan fds 0 to the highest (O(highest fd)). Only
 * fds below FD_SETSIZE fit: a larger one is refused when it is registered.
 *
 * <p>Quirk: select has no hang-up or error event. A closed or failed peer shows as readable (the read
 * returns 0 or the error), so an fd registered without {@link #READ} hears of neither (SelectQuirksTest).
 */
final class SelectPoller implements Poller {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment readMaster = FdSet.allocate(arena), writeMaster = FdSet.allocate(arena);
    private final MemorySegment readSet = FdSet.allocate(arena), writeSet = FdSet.allocate(arena);
    private final MemorySegment tv = timeval.allocate(arena);
    private final long[] tokens = new long[FdSet.FD_SETSIZE];
    private final boolean[] registered = new boolean[FdSet.FD_SETSIZE];
    private final Waker waker;
    private int maxFd = -1;
    private int next;   // the fd the next scan starts at (modulo maxFd + 1)

    SelectPoller() throws IOException {
        Waker w = null;
        try {
            w = new Waker();
            add(w.fd(), READ, Waker.TOKEN);   // refused when the waker's fd is past FD_SETSIZE
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            arena.close();
            throw e;
        }
        waker = w;
    }

    @Override
    public String name() {
        return "select";
    }

    @Override
    public boolean supports(int mode) {
        return false;
    }

    private void setInterest(int fd, int interest, long token) {
        if ((interest & (EDGE | ONESHOT)) != 0) {
            throw new UnsupportedOperationException("select: no edge-triggered or one-shot mode; use epoll, kqueue or io_uring");
        }
        if ((interest & READ) != 0) FdSet.set(readMaster, fd); else FdSet.clear(readMaster, fd);
        if ((interest & WRITE) != 0) FdSet.set(writeMaster, fd); else FdSet.clear(writeMaster, fd);
        tokens[fd] = token;
    }

    @Override
    public void register(int fd, int interest, long token) throws IOException {
        add(fd, interest, Waker.checkToken(token));
    }

    private void add(int fd, int interest, long token) throws IOException {
        if (!FdSet.fits(fd)) {
            throw new IllegalArgumentException("select cannot watch fd " + fd + ": it handles fds 0 to "
                    + (FdSet.FD_SETSIZE - 1) + " (FD_SETSIZE=" + FdSet.FD_SETSIZE + "); use --backend=poll or epoll");
        }
        if (registered[fd]) throw new ErrnoException("select register(fd=" + fd + ")", EEXIST());
        setInterest(fd, interest, token);
        registered[fd] = true;
        maxFd = Math.max(maxFd, fd);
    }

    @Override
    public void modify(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        if (!FdSet.fits(fd) || !registered[fd]) throw new ErrnoException("select modify(fd=" + fd + ")", ENOENT());
        setInterest(fd, interest, token);
    }

    @Override
    public void unregister(int fd) throws IOException {
        if (!FdSet.fits(fd) || !registered[fd]) throw new ErrnoException("select unregister(fd=" + fd + ")", ENOENT());
        FdSet.clear(readMaster, fd);
        FdSet.clear(writeMaster, fd);
        registered[fd] = false;
        while (maxFd >= 0 && !registered[maxFd]) maxFd--;
    }

    @Override
    public int poll(Events events, long timeoutMillis) throws IOException {
        events.clear();
        MemorySegment.copy(readMaster, 0, readSet, 0, fd_set.sizeof());
        MemorySegment.copy(writeMaster, 0, writeSet, 0, fd_set.sizeof());
        // Linux select rewrites the timeval with the time left: fill it anew every call. macOS refuses a long one.
        int n = Select.select(maxFd + 1, readSet, writeSet, null,
                timeoutMillis < 0 ? null : Select.timeval(tv, Timeouts.clamp(timeoutMillis)));
        if (n == Results.INTERRUPTED) return 0;
        if (n > 0 && FdSet.isSet(readSet, waker.fd())) {
            waker.drain();
            n--;
        }
        // The scan starts where the last full buffer stopped: always starting at fd 0 would report the
        // same low fds to a caller that polls again before consuming them, and starve the rest.
        int nfds = maxFd + 1;
        for (int i = 0; i < nfds && n > 0; i++) {
            int fd = (next + i) % nfds;
            if (fd == waker.fd()) continue;
            int bits = (FdSet.isSet(readSet, fd) ? READABLE : 0) | (FdSet.isSet(writeSet, fd) ? WRITABLE : 0);
            if (bits == 0) continue;
            if (!events.add(tokens[fd], bits)) {
                next = fd;   // full: level-triggered, this fd and the rest come first next time
                break;
            }
            n -= Integer.bitCount(bits);   // select counts an fd once per set it is in
        }
        return events.size();
    }

    @Override
    public void wakeup() {
        waker.wake();
    }

    @Override
    public void close() {
        waker.close();
        arena.close();
    }
}
