package io.pollkit.poller;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.EventFd;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.fcntl_h.O_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;
import static io.pollkit.bindings.sys_epoll_h.EFD_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EFD_NONBLOCK;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The fd a backend watches so that another thread can wake its poll: an eventfd on Linux, a pipe
 * elsewhere ({@link io.pollkit.sys.Portable#EVENTFD}; the pipe path runs on Linux under the forced portable paths). {@link #wake()} writes only when no wakeup is pending, so repeated wakeups collapse into one
 * write and one drain. Every backend registers {@link #fd()} for reading with the token {@link #TOKEN}
 * and calls {@link #drain()} instead of reporting it.
 */
final class Waker implements AutoCloseable {
    /** The token backends give the waker fd; never reported to callers. */
    static final long TOKEN = Long.MIN_VALUE;

    /** For backends' register and modify: refuses {@link #TOKEN}, whose events would be taken for wakeups. */
    static long checkToken(long token) {
        if (token == TOKEN) {
            throw new IllegalArgumentException("token " + TOKEN + " (Long.MIN_VALUE) is reserved for the poller's own waker");
        }
        return token;
    }

    private final int readFd, writeFd;
    private final AtomicBoolean pending = new AtomicBoolean();
    /** What {@link #wake()} writes (eventfd adds 1), apart from the loop thread's read buffer. */
    private static final MemorySegment ONE = Arena.global().allocateFrom(JAVA_LONG, 1L);
    private final MemorySegment buffer = Arena.ofAuto().allocate(JAVA_LONG);   // 8 bytes: what drain() reads into
    private boolean closed;   // guarded by this: wake() never writes after close()

    Waker() throws IOException {
        if (EventFd.isAvailable()) {
            readFd = writeFd = EventFd.eventfd(0, EFD_NONBLOCK() | EFD_CLOEXEC());
        } else {
            int[] p = Unistd.pipe2(O_NONBLOCK() | O_CLOEXEC());
            readFd = p[0];
            writeFd = p[1];
        }
    }

    /** The fd to watch for readability. */
    int fd() {
        return readFd;
    }

    /**
     * Safe from any thread: makes {@link #fd()} readable unless a wakeup is already pending. After
     * {@link #close()} it does nothing: a late wakeup (a stop racing the loop's own shutdown) must not write
     * to a closed fd, or to whatever file has reused its number since.
     */
    void wake() {
        if (!pending.compareAndSet(false, true)) return;
        synchronized (this) {
            if (closed) return;
            try {
                Unistd.write(writeFd, ONE, 8);   // WOULD_BLOCK only when already readable: fine
            } catch (ErrnoException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** On the polling thread, after {@link #fd()} was reported readable: empties it and re-arms {@link #wake()}. */
    void drain() throws IOException {
        while (Unistd.read(readFd, buffer, 8) > 0) {
            // an eventfd empties in one read; a pipe may hold a few bytes from before
        }
        // Only now: cleared before the read, a wake() in between would write, the read would swallow it,
        // and pending would stay true with nothing to read, so every later wake() would be lost.
        pending.set(false);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Unistd.closeQuietly(readFd);
        if (writeFd != readFd) Unistd.closeQuietly(writeFd);
    }
}
