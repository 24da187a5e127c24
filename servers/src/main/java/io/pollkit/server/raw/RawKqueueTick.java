package io.pollkit.server.raw;

import io.pollkit.bindings.kevent;
import io.pollkit.bindings.timespec;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.raw.RawTickClients.Client;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Kqueue;
import io.pollkit.sys.Results;
import io.pollkit.sys.Select;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EVFILT_WRITE;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_event_h.EV_DISABLE;
import static io.pollkit.bindings.sys_event_h.EV_ENABLE;
import static io.pollkit.bindings.sys_event_h.EV_ERROR;
import static io.pollkit.server.raw.RawTickClients.LISTENER;

/**
 * The tick server on kqueue(2) (FreeBSD 4.1, then macOS and the other BSDs; on Linux only through the
 * library POLLKIT_KQUEUE_LIB names).
 *
 * <pre>
 *   struct kevent { uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags; intptr_t data; void *udata; };
 *   int kqueue(void);
 *   int kevent(int kq, const struct kevent *changelist, int nchanges,
 *              struct kevent *eventlist, int nevents, const struct timespec *timeout);
 * </pre>
 *
 * <p>Like epoll, kqueue keeps the interest in the kernel; unlike it, the unit is a knote, one (ident,
 * filter) pair: "fd 7 is readable" (EVFILT_READ) and "fd 7 is writable" (EVFILT_WRITE) are two knotes,
 * each added, enabled, disabled and deleted on its own. And one call does everything. The dance:
 * <ol>
 *   <li>kqueue() once;</li>
 *   <li>describe changes in a changelist, one {@code struct kevent} each, filled with the EV_SET macro:
 *       ident, filter, flags (EV_ADD, EV_ENABLE, EV_DISABLE, EV_DELETE), and a {@code udata} of our
 *       choosing (here the client's slot) that comes back with every event of that knote;</li>
 *   <li>kevent applies the whole changelist, then waits up to the timeout (a {@code struct timespec})
 *       and fills the eventlist: one {@code struct kevent} per ready knote, with {@code data} saying how
 *       much (bytes to read, connections waiting, room to write) and EV_EOF in {@code flags} when the
 *       peer has closed. A change that failed comes back as an entry with EV_ERROR and errno in data;</li>
 *   <li>close(2) deletes the fd's knotes.</li>
 * </ol>
 * Knotes are level-triggered unless added with EV_CLEAR; this server keeps them level-triggered, like
 * the other three, so a knote that stays ready is reported again on the next call.
 */
final class RawKqueueTick {
    private RawKqueueTick() {}

    static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        int kq = Kqueue.kqueue();
        try (Arena arena = Arena.ofConfined(); RawTickClients clients = RawTickClients.open(options)) {
            int max = clients.slots.length;
            // A round changes at most the listener and two knotes per client; at most as many are ready.
            int capacity = 1 + 2 * max;
            MemorySegment changes = kevent.allocateArray(capacity, arena);
            MemorySegment events = kevent.allocateArray(capacity, arena);
            MemorySegment timeout = timespec.allocate(arena);     // { tv_sec, tv_nsec }
            boolean[] added = new boolean[max];                   // the client in each slot has its two knotes
            boolean[] writeOn = new boolean[max];                 // and its EVFILT_WRITE knote is enabled
            boolean listenerOn = true;
            int nchanges = 0;
            Kqueue.EV_SET(changes, nchanges++, clients.listener, EVFILT_READ(), EV_ADD(), 0, 0, LISTENER);

            while (!stop.get()) {
                // Ticks first: the deadline is fixed in advance and nothing that happens below moves it.
                clients.tickIfDue();

                // 1. The changelist, built from the live clients just before the call, so it never names
                //    a closed fd. A new client gets its two knotes; EVFILT_WRITE is enabled only while it
                //    has output queued (a socket with room to send is always writable).
                if (clients.accepting() != listenerOn) {
                    listenerOn = !listenerOn;
                    int flags = listenerOn ? EV_ENABLE() : EV_DISABLE();   // off while accept is paused
                    Kqueue.EV_SET(changes, nchanges++, clients.listener, EVFILT_READ(), flags, 0, 0, LISTENER);
                }
                for (Client c : clients.slots) {
                    if (c == null) continue;
                    boolean wantWrite = c.hasQueuedOutput();
                    int write = wantWrite ? EV_ENABLE() : EV_DISABLE();
                    if (!added[c.slot]) {
                        Kqueue.EV_SET(changes, nchanges++, c.fd, EVFILT_READ(), EV_ADD(), 0, 0, c.slot);
                        Kqueue.EV_SET(changes, nchanges++, c.fd, EVFILT_WRITE(), EV_ADD() | write, 0, 0, c.slot);
                        added[c.slot] = true;
                    } else if (wantWrite != writeOn[c.slot]) {
                        Kqueue.EV_SET(changes, nchanges++, c.fd, EVFILT_WRITE(), write, 0, 0, c.slot);
                    }
                    writeOn[c.slot] = wantWrite;
                }

                // 2. One system call: apply the changes, then wait at most until the next tick (and
                //    never more than 200 ms, to see the stop flag). The changes are applied even when
                //    a signal interrupts the wait.
                Select.timespec(timeout, clients.waitMillis());
                int ready = Kqueue.kevent(kq, changes, nchanges, events, capacity, timeout);
                nchanges = 0;
                if (ready == Results.INTERRUPTED) continue;

                // 3. One entry per ready knote, with the udata it was added with. EV_EOF needs no
                //    case of its own: on EVFILT_READ recv returns what is left and then 0, on
                //    EVFILT_WRITE send fails with EPIPE; either closes the client.
                boolean accept = false;
                for (int i = 0; i < ready; i++) {
                    long token = events.get(kevent.udata$layout(), i * kevent.sizeof() + kevent.udata$offset()).address();
                    if ((events.get(kevent.flags$layout(), i * kevent.sizeof() + kevent.flags$offset()) & EV_ERROR()) != 0) {
                        ErrnoException e = new ErrnoException("kevent(ident=" + events.get(kevent.ident$layout(), i * kevent.sizeof() + kevent.ident$offset())
                                + ", filter=" + events.get(kevent.filter$layout(), i * kevent.sizeof() + kevent.filter$offset()) + ")", (int) events.get(kevent.data$layout(), i * kevent.sizeof() + kevent.data$offset()));
                        if (token == LISTENER) throw e;
                        Client c = clients.slots[(int) token];
                        if (c != null) clients.disconnect(c, e.getMessage());
                        continue;
                    }
                    if (token == LISTENER) {
                        accept = true;   // accept after the clients: a freed slot is not reused mid-scan
                        continue;
                    }
                    Client c = clients.slots[(int) token];
                    if (c == null) continue;   // its other knote's event closed it earlier in this scan
                    if (events.get(kevent.filter$layout(), i * kevent.sizeof() + kevent.filter$offset()) == EVFILT_WRITE()) clients.writable(c);
                    else clients.readable(c);
                }

                // 4. New connections: their knotes go into the next changelist.
                if (accept) {
                    for (Client c; (c = clients.accept()) != null; ) added[c.slot] = false;
                }
            }
        } finally {
            Unistd.closeQuietly(kq);
        }
    }
}
