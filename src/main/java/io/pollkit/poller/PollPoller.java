package io.pollkit.poller;

import io.pollkit.bindings.pollfd;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Poll;
import io.pollkit.sys.Portable;
import io.pollkit.sys.Results;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.pollkit.bindings.errno_h.EEXIST;
import static io.pollkit.bindings.errno_h.ENOENT;
import static io.pollkit.bindings.poll_h.POLLERR;
import static io.pollkit.bindings.poll_h.POLLHUP;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.poll_h.POLLNVAL;
import static io.pollkit.bindings.poll_h.POLLOUT;
import static io.pollkit.bindings.poll_h.POLLRDHUP;

/**
 * The poll backend: a {@code struct pollfd} array the kernel scans on every wait (O(watched)). Slot 0 is
 * the waker; an fd's slot is found through {@code slotOf[fd]}; unregistering moves the last slot into the
 * hole, so the array stays dense.
 */
final class PollPoller implements Poller {
    /** POLLRDHUP where poll has it (Linux, {@link Portable#POLLRDHUP}), else nothing. */
    private static final int RDHUP = Portable.POLLRDHUP ? POLLRDHUP() : 0;

    private final Arena arena = Arena.ofShared();
    private final Waker waker;
    private MemorySegment fds;            // pollfd[slots]
    private long[] tokens;                // by slot
    private int[] slotOf = new int[64];   // by fd: slot + 1, 0 when not registered
    private int count;
    private int next = 1;                 // the slot the next scan starts at (1 to count - 1, modulo)

    PollPoller() throws IOException {
        fds = pollfd.allocateArray(64, arena);
        tokens = new long[64];
        Waker w = null;
        try {
            w = new Waker();
            add(w.fd(), READ, Waker.TOKEN);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            arena.close();
            throw e;
        }
        waker = w;
    }

    @Override
    public String name() {
        return "poll";
    }

    @Override
    public boolean supports(int mode) {
        return false;
    }

    private static short toPoll(int interest) {
        if ((interest & (EDGE | ONESHOT)) != 0) {
            throw new UnsupportedOperationException("poll: no edge-triggered or one-shot mode; use epoll, kqueue or io_uring");
        }
        int e = 0;
        // POLLRDHUP (Linux), as epoll's EPOLLRDHUP: a peer that shut down writing (a TCP FIN) is a hang-up;
        // POLLHUP alone comes only once both directions are down. Without it (macOS) a FIN is readable, 0 bytes.
        if ((interest & READ) != 0) e |= POLLIN() | RDHUP;
        if ((interest & WRITE) != 0) e |= POLLOUT();
        return (short) e;   // POLLHUP, POLLERR and POLLNVAL are always reported
    }

    private int slot(int fd) {
        return fd >= 0 && fd < slotOf.length ? slotOf[fd] - 1 : -1;
    }

    @Override
    public void register(int fd, int interest, long token) throws IOException {
        add(fd, interest, Waker.checkToken(token));
    }

    private void add(int fd, int interest, long token) throws IOException {
        short events = toPoll(interest);
        if (fd < 0) throw new ErrnoException("poll register(fd=" + fd + ")", io.pollkit.bindings.errno_h.EBADF());
        if (slot(fd) >= 0) throw new ErrnoException("poll register(fd=" + fd + ")", EEXIST());
        if (fd >= slotOf.length) slotOf = Arrays.copyOf(slotOf, Math.max(fd + 1, slotOf.length * 2));
        if (count == tokens.length) {
            MemorySegment bigger = pollfd.allocateArray(count * 2L, arena);
            MemorySegment.copy(fds, 0, bigger, 0, count * pollfd.sizeof());
            fds = bigger;   // the old array stays in the arena until close: growth is rare and doubling
            tokens = Arrays.copyOf(tokens, count * 2);
        }
        fds.set(pollfd.fd$layout(), count * pollfd.sizeof() + pollfd.fd$offset(), fd);
        fds.set(pollfd.events$layout(), count * pollfd.sizeof() + pollfd.events$offset(), events);
        fds.set(pollfd.revents$layout(), count * pollfd.sizeof() + pollfd.revents$offset(), (short) 0);
        tokens[count] = token;
        slotOf[fd] = ++count;
    }

    @Override
    public void modify(int fd, int interest, long token) throws IOException {
        Waker.checkToken(token);
        short events = toPoll(interest);
        int s = slot(fd);
        if (s < 0) throw new ErrnoException("poll modify(fd=" + fd + ")", ENOENT());
        fds.set(pollfd.events$layout(), s * pollfd.sizeof() + pollfd.events$offset(), events);
        tokens[s] = token;
    }

    @Override
    public void unregister(int fd) throws IOException {
        int s = slot(fd);
        if (s < 0) throw new ErrnoException("poll unregister(fd=" + fd + ")", ENOENT());
        int last = --count;
        if (s != last) {
            MemorySegment.copy(fds, last * pollfd.sizeof(), fds, s * pollfd.sizeof(), pollfd.sizeof());
            tokens[s] = tokens[last];
            slotOf[fds.get(pollfd.fd$layout(), s * pollfd.sizeof() + pollfd.fd$offset())] = s + 1;
        }
        slotOf[fd] = 0;
    }

    @Override
    public int poll(Events events, long timeoutMillis) throws IOException {
        events.clear();
        int n = Poll.poll(fds, count, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        if (n == Results.INTERRUPTED) return 0;
        assert tokens[0] == Waker.TOKEN;
        if (n > 0 && fds.get(pollfd.revents$layout(), pollfd.revents$offset()) != 0) {
            waker.drain();
            n--;
        }
        // Slots 1 to count - 1, starting where the last full buffer stopped: always starting at slot 1
        // would report the same fds to a caller that polls again before consuming them, and starve the rest.
        int slots = count - 1;
        for (int i = 0; i < slots && n > 0; i++) {
            int s = 1 + (next - 1 + i) % slots;
            int r = fds.get(pollfd.revents$layout(), s * pollfd.sizeof() + pollfd.revents$offset());
            if (r == 0) continue;
            int bits = 0;
            if ((r & POLLIN()) != 0) bits |= READABLE;
            if ((r & POLLOUT()) != 0) bits |= WRITABLE;
            if ((r & (POLLHUP() | RDHUP)) != 0) bits |= HANGUP;
            if ((r & (POLLERR() | POLLNVAL())) != 0) bits |= ERROR;   // POLLNVAL: closed while registered
            if (!events.add(tokens[s], bits)) {
                next = s;   // full: level-triggered, this slot and the rest come first next time
                break;
            }
            n--;
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
