package io.pollkit.poller;

import io.pollkit.bindings.kevent;
import io.pollkit.bindings.timespec;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Kqueue;
import io.pollkit.sys.Results;
import io.pollkit.sys.Select;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

import static io.pollkit.bindings.errno_h.EEXIST;
import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EVFILT_WRITE;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_event_h.EV_CLEAR;
import static io.pollkit.bindings.sys_event_h.EV_DELETE;
import static io.pollkit.bindings.sys_event_h.EV_DISABLE;
import static io.pollkit.bindings.sys_event_h.EV_ENABLE;
import static io.pollkit.bindings.sys_event_h.EV_EOF;
import static io.pollkit.bindings.sys_event_h.EV_ERROR;
import static io.pollkit.bindings.sys_event_h.EV_ONESHOT;
import static io.pollkit.bindings.sys_event_h.EV_RECEIPT;

/**
 * The kqueue backend (macOS, BSD; on Linux through the library POLLKIT_KQUEUE_LIB names). An fd is two
 * knotes, EVFILT_READ and EVFILT_WRITE, each enabled or disabled by the interest; so a token can come back
 * twice in one poll, once per filter. Changes are applied at once with EV_RECEIPT, so each failure is
 * reported by the call that caused it.
 *
 * <p>A knote keeps the EV_CLEAR/EV_ONESHOT it was added with: a second EV_ADD changes only its udata on
 * FreeBSD and XNU, and enables it only with EV_ENABLE. So {@link #modify} that changes the mode deletes
 * both knotes and adds them anew, and every EV_ADD says EV_ENABLE or EV_DISABLE.
 *
 * <p>Quirks: a hang-up (EV_EOF) arrives only through an enabled filter, so an fd registered with interest
 * 0 hears of none; a socket error arrives in {@code fflags} of an EV_EOF event (read it there: reading
 * SO_ERROR afterwards may give 0). KqueueQuirksTest pins these down.
 */
final class KqueuePoller implements Poller {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment changes = kevent.allocateArray(4, arena), receipts = kevent.allocateArray(4, arena);
    private final MemorySegment zero = timespec.allocate(arena), ts = timespec.allocate(arena);
    private final BitSet registered = new BitSet();
    private final BitSet edge = new BitSet(), oneshot = new BitSet();   // the mode each fd's knotes were added with
    private final int kq;
    private final Waker waker;
    private MemorySegment ready = MemorySegment.NULL;
    private int capacity;

    KqueuePoller() throws IOException {
        int q = -1;
        Waker w = null;
        try {
            q = Kqueue.kqueue();
            kq = q;   // apply() below uses it
            w = new Waker();
            apply(w.fd(), READ, Waker.TOKEN, "register", false);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            if (q >= 0) Unistd.closeQuietly(q);
            arena.close();   // the change and receipt buffers above
            throw e;
        }
        waker = w;
        registered.set(w.fd());
    }

    @Override
    public String name() {
        return "kqueue";
    }

    @Override
    public boolean supports(int mode) {
        return mode == EDGE || mode == ONESHOT;
    }

    /**
     * EV_ADD both filters, each enabled or disabled by the interest, and checks every receipt; with
     * {@code replace}, EV_DELETE both first (a one-shot knote that fired is gone: ENOENT is fine there).
     */
    private void apply(int fd, int interest, long token, String call, boolean replace) throws IOException {
        int modes = ((interest & EDGE) != 0 ? EV_CLEAR() : 0) | ((interest & ONESHOT) != 0 ? EV_ONESHOT() : 0);
        int read = EV_ADD() | EV_RECEIPT() | modes | ((interest & READ) != 0 ? EV_ENABLE() : EV_DISABLE());
        int write = EV_ADD() | EV_RECEIPT() | modes | ((interest & WRITE) != 0 ? EV_ENABLE() : EV_DISABLE());
        int i = 0;
        if (replace) {
            Kqueue.EV_SET(changes, i++, fd, EVFILT_READ(), EV_DELETE() | EV_RECEIPT(), 0, 0, 0);
            Kqueue.EV_SET(changes, i++, fd, EVFILT_WRITE(), EV_DELETE() | EV_RECEIPT(), 0, 0, 0);
        }
        Kqueue.EV_SET(changes, i++, fd, EVFILT_READ(), read, 0, 0, token);
        Kqueue.EV_SET(changes, i++, fd, EVFILT_WRITE(), write, 0, 0, token);
        change(fd, call, i, replace ? 2 : 0);
        edge.set(fd, (interest & EDGE) != 0);
        oneshot.set(fd, (interest & ONESHOT) != 0);
    }

    /**
     * Applies the first {@code count} changes; each carries EV_RECEIPT, so receipt i answers change i. An
     * ENOENT in the first {@code deletes} (EV_DELETE of a knote already gone) is not an error.
     */
    private void change(int fd, String call, int count, int deletes) throws IOException {
        int n;
        do {   // EINTR before the changes were applied: apply them again
            n = Kqueue.kevent(kq, changes, count, receipts, count, zero);
        } while (n == Results.INTERRUPTED);
        for (int i = 0; i < n; i++) {
            long err = receipts.get(kevent.data$layout(), i * kevent.sizeof() + kevent.data$offset());
            if ((receipts.get(kevent.flags$layout(), i * kevent.sizeof() + kevent.flags$offset()) & EV_ERROR()) != 0 && err != 0
                    && !(i < deletes && err == ENOENT())) {
                throw new ErrnoException("kqueue " + call + "(fd=" + fd + ")", (int) err);
            }
        }
    }

    @Override
    public void register(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        if (fd >= 0 && registered.get(fd)) throw new ErrnoException("kqueue register(fd=" + fd + ")", EEXIST());
        apply(fd, interest, token, "register", false);
        registered.set(fd);
    }

    @Override
    public void modify(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        if (fd < 0 || !registered.get(fd)) throw new ErrnoException("kqueue modify(fd=" + fd + ")", ENOENT());
        boolean sameMode = edge.get(fd) == ((interest & EDGE) != 0) && oneshot.get(fd) == ((interest & ONESHOT) != 0);
        apply(fd, interest, token, "modify", !sameMode);
    }

    @Override
    public void unregister(int fd) throws IOException {
        if (fd < 0 || !registered.get(fd)) throw new ErrnoException("kqueue unregister(fd=" + fd + ")", ENOENT());
        registered.clear(fd);
        edge.clear(fd);
        oneshot.clear(fd);
        Kqueue.EV_SET(changes, 0, fd, EVFILT_READ(), EV_DELETE() | EV_RECEIPT(), 0, 0, 0);
        Kqueue.EV_SET(changes, 1, fd, EVFILT_WRITE(), EV_DELETE() | EV_RECEIPT(), 0, 0, 0);
        change(fd, "unregister", 2, 2);   // a one-shot knote that fired is gone already
    }

    @Override
    public int poll(Events events, long timeoutMillis) throws IOException {
        if (capacity < events.capacity()) {   // grown only: alternating sizes must not pile arrays up in the arena
            capacity = events.capacity();
            ready = kevent.allocateArray(capacity, arena);
        }
        events.clear();
        int n = Kqueue.kevent(kq, null, 0, ready, events.capacity(), timeoutMillis < 0 ? null : Select.timespec(ts, Timeouts.clamp(timeoutMillis)));
        if (n == Results.INTERRUPTED) return 0;
        for (int i = 0; i < n; i++) {
            long token = ready.get(kevent.udata$layout(), i * kevent.sizeof() + kevent.udata$offset()).address();
            if (token == Waker.TOKEN) {
                waker.drain();
                continue;
            }
            int flags = ready.get(kevent.flags$layout(), i * kevent.sizeof() + kevent.flags$offset()), bits;
            bits = ready.get(kevent.filter$layout(), i * kevent.sizeof() + kevent.filter$offset()) == EVFILT_WRITE() ? WRITABLE : READABLE;
            if ((flags & EV_EOF()) != 0) bits |= HANGUP | (ready.get(kevent.fflags$layout(), i * kevent.sizeof() + kevent.fflags$offset()) != 0 ? ERROR : 0);
            if ((flags & EV_ERROR()) != 0) bits |= ERROR;
            events.add(token, bits);
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
        Unistd.closeQuietly(kq);
        arena.close();
    }
}
