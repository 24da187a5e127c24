package io.pollkit.server.raw;

import io.pollkit.bindings.pollfd;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.raw.RawTickClients.Client;
import io.pollkit.sys.Poll;
import io.pollkit.sys.Results;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.poll_h.POLLERR;
import static io.pollkit.bindings.poll_h.POLLHUP;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.poll_h.POLLNVAL;
import static io.pollkit.bindings.poll_h.POLLOUT;

/**
 * The tick server on poll(2) (System V Release 3; POSIX).
 *
 * <pre>
 *   struct pollfd { int fd; short events; short revents; };
 *   int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
 * </pre>
 *
 * <p>Instead of three bitmaps, an array with one {@code struct pollfd} per watched fd: the caller
 * writes {@code fd} and {@code events} (what it wants to hear about), the kernel writes
 * {@code revents} (what happened). The dance:
 * <ol>
 *   <li>fill the array; this server keeps slot 0 for the listener and slot 1 + i for the client in
 *       client slot i. A negative fd is skipped by the kernel, which is how a free slot is left out;</li>
 *   <li>poll waits until an fd is ready or timeout_ms (an int: -1 forever, 0 not at all) runs out
 *       and returns how many entries have non-zero revents;</li>
 *   <li>scan the array for non-zero revents. POLLHUP, POLLERR and POLLNVAL need not be asked for:
 *       the kernel reports them whatever {@code events} says.</li>
 * </ol>
 * Like select, the kernel keeps nothing between calls: the whole array goes in every time and every
 * entry is scanned (O(watched fds)), but there is no FD_SETSIZE limit and only the fds in use count.
 *
 * <p>The timeout is the time left until the next tick deadline, computed before each call. The obvious
 * alternative, poll(fds, 1 second) and a tick when it returns 0, is wrong: every accept or message returns
 * early and the next poll waits a whole second again, so a chatty client means no ticks at all.
 */
final class RawPollTick {
    private RawPollTick() {}

    private static final int LISTENER_SLOT = 0;

    static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        try (Arena arena = Arena.ofConfined(); RawTickClients clients = RawTickClients.open(options)) {
            int count = 1 + clients.slots.length;               // the listener, then one per client slot
            MemorySegment fds = pollfd.allocateArray(count, arena);

            while (!stop.get()) {
                // Ticks first: the deadline is fixed in advance and nothing that happens below moves it.
                clients.tickIfDue();

                // 1. Fill every entry. The listener is left out (fd -1) while accept is paused; a
                //    client asks for POLLOUT only while it has output queued, or poll would return
                //    at once (a socket with room in its send buffer is always writable).
                fds.set(pollfd.fd$layout(), LISTENER_SLOT * pollfd.sizeof() + pollfd.fd$offset(), clients.accepting() ? clients.listener : -1);
                fds.set(pollfd.events$layout(), LISTENER_SLOT * pollfd.sizeof() + pollfd.events$offset(), (short) POLLIN());
                for (int i = 0; i < clients.slots.length; i++) {
                    Client c = clients.slots[i];
                    fds.set(pollfd.fd$layout(), (1 + i) * pollfd.sizeof() + pollfd.fd$offset(), c == null ? -1 : c.fd);
                    fds.set(pollfd.events$layout(), (1 + i) * pollfd.sizeof() + pollfd.events$offset(), (short) (c != null && c.hasQueuedOutput() ? POLLIN() | POLLOUT() : POLLIN()));
                }

                // 2. Wait at most until the next tick (and never more than 200 ms, to see the stop flag).
                int ready = Poll.poll(fds, count, (int) clients.waitMillis());
                if (ready == Results.INTERRUPTED || ready == 0) continue;   // a signal, or the timeout

                // 3. Scan for revents. POLLHUP (the peer closed) and POLLERR (a reset) are handed to
                //    recv, which returns 0 or fails with the error and so closes the client; POLLIN
                //    may come with data still unread after a hang-up, which recv returns first.
                for (int i = 0; i < clients.slots.length; i++) {
                    int revents = fds.get(pollfd.revents$layout(), (1 + i) * pollfd.sizeof() + pollfd.revents$offset());
                    if (revents == 0) continue;
                    Client c = clients.slots[i];   // the client whose fd went in: no accept happens before step 4
                    if ((revents & POLLNVAL()) != 0) {
                        // The fd was not open: a bug in this server (closed without emptying its slot).
                        throw new IllegalStateException("poll: fd " + c.fd + " of client " + c.id + " is not open (POLLNVAL)");
                    }
                    if ((revents & POLLOUT()) != 0) clients.writable(c);
                    if ((revents & (POLLIN() | POLLHUP() | POLLERR())) != 0) clients.readable(c);
                }

                // 4. New connections last. Each new client gets its entry when the array is filled
                //    again at the top of the loop.
                if ((fds.get(pollfd.revents$layout(), LISTENER_SLOT * pollfd.sizeof() + pollfd.revents$offset()) & POLLIN()) != 0) {
                    while (clients.accept() != null) {
                        // the client is in its slot; nothing else to do for poll
                    }
                }
            }
        }
    }
}
