package io.pollkit.server.raw;

import io.pollkit.bindings.timeval;
import io.pollkit.server.ServerOptions;
import io.pollkit.server.raw.RawTickClients.Client;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Results;
import io.pollkit.sys.Select;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tick server on select(2), the oldest readiness API (4.2BSD, 1983).
 *
 * <pre>
 *   int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout);
 * </pre>
 *
 * <p>An {@code fd_set} is a bitmap of FD_SETSIZE (1024) bits, bit n standing for fd n, set and tested
 * with the FD_ZERO, FD_SET, FD_CLR and FD_ISSET macros ({@link FdSet}). The dance, every round:
 * <ol>
 *   <li>FD_ZERO the sets and FD_SET every fd of interest again: the kernel keeps nothing between
 *       calls, and the last call overwrote the sets with its answer;</li>
 *   <li>nfds is the highest fd + 1: the kernel looks at bits 0 to nfds - 1, however few are set;</li>
 *   <li>select waits until one fd is ready or the timeout (a {@code struct timeval}, which Linux
 *       rewrites with the time left, so it is filled afresh each round) runs out;</li>
 *   <li>each set now holds only its ready fds: FD_ISSET every fd that went in to find them.</li>
 * </ol>
 * Each call costs O(highest fd) in both directions, and an fd of 1024 or more cannot be put in an
 * fd_set at all (FD_SET would write past its end): such a client is refused here.
 */
final class RawSelectTick {
    private RawSelectTick() {}

    static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        try (Arena arena = Arena.ofConfined(); RawTickClients clients = RawTickClients.open(options)) {
            MemorySegment readable = FdSet.allocate(arena);   // in: fds to watch for reading; out: those ready
            MemorySegment writable = FdSet.allocate(arena);   // the same for writing
            MemorySegment timeout = timeval.allocate(arena);  // { tv_sec, tv_usec }
            int listener = clients.listener;
            if (!FdSet.fits(listener)) {
                throw new IOException("select: the listener is fd " + listener + ", past FD_SETSIZE " + FdSet.FD_SETSIZE);
            }

            while (!stop.get()) {
                // Ticks first: the deadline is fixed in advance and nothing that happens below moves it.
                clients.tickIfDue();

                // 1. Fill the sets from scratch. The listener is readable when a connection is waiting;
                //    a client is readable when data (or end of stream, or an error) arrived, and is
                //    watched for writable only while it has output queued, or select would return at once.
                FdSet.zero(readable);
                FdSet.zero(writable);
                int highest = -1;
                if (clients.accepting()) {
                    FdSet.set(readable, listener);
                    highest = listener;
                }
                for (Client c : clients.slots) {
                    if (c == null) continue;
                    FdSet.set(readable, c.fd);
                    if (c.hasQueuedOutput()) FdSet.set(writable, c.fd);
                    highest = Math.max(highest, c.fd);
                }

                // 2. Wait: nfds = highest + 1, no exceptfds (TCP urgent data is not used), and a
                //    timeout computed from the next tick deadline, never a fixed interval restarted
                //    on every event (a client talking steadily would then starve the ticks).
                Select.timeval(timeout, clients.waitMillis());
                int ready = Select.select(highest + 1, readable, writable, null, timeout);
                if (ready == Results.INTERRUPTED || ready == 0) continue;   // a signal, or the timeout

                // 3. Test each client's bits. A failed send or recv closes the client (and frees its
                //    slot); readable and writable skip a client closed earlier in the round.
                for (Client c : clients.slots) {
                    if (c == null) continue;
                    if (FdSet.isSet(writable, c.fd)) clients.writable(c);
                    if (FdSet.isSet(readable, c.fd)) clients.readable(c);
                }

                // 4. New connections last, so a slot freed above is never reused by a fd whose bits
                //    were not in this round's sets.
                if (FdSet.isSet(readable, listener)) {
                    for (Client c; (c = clients.accept()) != null; ) {
                        if (!FdSet.fits(c.fd)) {
                            clients.disconnect(c, "fd " + c.fd + " does not fit in select's fd_set (FD_SETSIZE "
                                    + FdSet.FD_SETSIZE + "); use poll, epoll or kqueue for more clients");
                        }
                    }
                }
            }
        }
    }
}
