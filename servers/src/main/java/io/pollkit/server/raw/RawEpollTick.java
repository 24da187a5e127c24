package io.pollkit.server.raw;

import io.pollkit.bindings.epoll_event;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.raw.RawTickClients.Client;
import io.pollkit.sys.Epoll;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Results;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.sys_epoll_h.EPOLLERR;
import static io.pollkit.bindings.sys_epoll_h.EPOLLHUP;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLOUT;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_MOD;

/**
 * The tick server on epoll(7) (Linux 2.6).
 *
 * <pre>
 *   struct epoll_event { uint32_t events; epoll_data_t data; };   // packed on x86_64: 12 bytes
 *   int epoll_create1(int flags);
 *   int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);   // op: ADD, MOD, DEL
 *   int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);
 * </pre>
 *
 * <p>Where select and poll take the whole interest list on every call, epoll keeps it in the kernel,
 * behind an fd of its own. The dance:
 * <ol>
 *   <li>epoll_create1 once;</li>
 *   <li>epoll_ctl(ADD) an fd once with the events wanted and 64 bits of {@code data} of our choosing
 *       (here the client's slot); epoll_ctl(MOD) only when the wanted events change; close(2)
 *       removes the fd by itself (when no dup of it is left open; this server makes none);</li>
 *   <li>epoll_wait returns only the ready fds, each as its events and the {@code data} it was
 *       registered with, so the cost of a wait is O(ready), not O(watched).</li>
 * </ol>
 * Registrations are level-triggered, like poll: an fd that stays readable is reported again on the
 * next wait. EPOLLHUP and EPOLLERR are always reported, asked for or not.
 */
final class RawEpollTick {

    private RawEpollTick() {}

    static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        int epfd = Epoll.epoll_create1(EPOLL_CLOEXEC());
        try (Arena arena = Arena.ofConfined(); RawTickClients clients = RawTickClients.open(options)) {
            int maxEvents = 1 + clients.slots.length;               // every fd ready at once still fits
            MemorySegment events = epoll_event.allocateArray(maxEvents, arena);
            int[] told = new int[clients.slots.length];             // the events epoll holds for each client slot
            int listenerTold = EPOLLIN();                              // and for the listener
            Epoll.epoll_ctl(epfd, EPOLL_CTL_ADD(), clients.listener, EPOLLIN(), RawTickClients.LISTENER);

            while (!stop.get()) {
                // Ticks first: the deadline is fixed in advance and nothing that happens below moves it.
                clients.tickIfDue();

                // 1. Tell epoll what changed since the last wait, and only that: the listener is
                //    switched off (events 0) while accept is paused, a client is watched for EPOLLOUT
                //    only while it has output queued (a socket with room to send is always writable).
                int listenerWants = clients.accepting() ? EPOLLIN() : 0;
                if (listenerWants != listenerTold) {
                    Epoll.epoll_ctl(epfd, EPOLL_CTL_MOD(), clients.listener, listenerWants, RawTickClients.LISTENER);
                    listenerTold = listenerWants;
                }
                for (Client c : clients.slots) {
                    if (c == null) continue;
                    int wants = c.hasQueuedOutput() ? EPOLLIN() | EPOLLOUT() : EPOLLIN();
                    if (wants != told[c.slot]) {
                        Epoll.epoll_ctl(epfd, EPOLL_CTL_MOD(), c.fd, wants, c.slot);
                        told[c.slot] = wants;
                    }
                }

                // 2. Wait at most until the next tick (and never more than 200 ms, to see the stop flag).
                int ready = Epoll.epoll_wait(epfd, events, maxEvents, (int) clients.waitMillis());
                if (ready == Results.INTERRUPTED) continue;   // a signal: the timeout is recomputed above

                // 3. Only ready fds come back, each with the data it was registered with. EPOLLHUP
                //    and EPOLLERR go to recv, which returns 0 or the error and so closes the client.
                boolean accept = false;
                for (int i = 0; i < ready; i++) {
                    long token = Epoll.data(events, i);
                    int ev = events.get(epoll_event.events$layout(), i * epoll_event.sizeof() + epoll_event.events$offset());
                    if (token == RawTickClients.LISTENER) {
                        accept = true;   // accept after the clients: a freed slot is not reused mid-scan
                        continue;
                    }
                    Client c = clients.slots[(int) token];
                    if (c == null) continue;   // only if a dup kept a closed fd registered; there are none
                    if ((ev & EPOLLOUT()) != 0) clients.writable(c);
                    if ((ev & (EPOLLIN() | EPOLLHUP() | EPOLLERR())) != 0) clients.readable(c);
                }

                // 4. New connections: one epoll_ctl(ADD) each, with the slot as data.
                if (accept) {
                    for (Client c; (c = clients.accept()) != null; ) {
                        try {
                            Epoll.epoll_ctl(epfd, EPOLL_CTL_ADD(), c.fd, EPOLLIN(), c.slot);
                            told[c.slot] = EPOLLIN();
                        } catch (ErrnoException e) {
                            clients.disconnect(c, e.getMessage());   // ENOMEM, ENOSPC (max_user_watches)
                        }
                    }
                }
            }
        } finally {
            Unistd.closeQuietly(epfd);
        }
    }
}
