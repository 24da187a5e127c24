package io.pollkit.server.raw;

import io.pollkit.server.ServerOptions;
import io.pollkit.server.raw.RawTickClients.Client;
import io.pollkit.sys.ErrnoException;
import io.pollkit.uring.Completion;
import io.pollkit.uring.Ring;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CLAMP;
import static io.pollkit.bindings.io_uring_h.IORING_SETUP_CQSIZE;
import static io.pollkit.bindings.poll_h.POLLERR;
import static io.pollkit.bindings.poll_h.POLLHUP;
import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.poll_h.POLLOUT;

/**
 * The tick server on io_uring(7) (Linux 5.1; 5.13 for what is used here), as readiness: IORING_OP_POLL_ADD.
 *
 * <pre>
 *   int io_uring_setup(u32 entries, struct io_uring_params *p);        // then mmap the SQ, the CQ, the SQEs
 *   int io_uring_enter(int fd, u32 to_submit, u32 min_complete, u32 flags, const void *arg, size_t argsz);
 *   struct io_uring_sqe { u8 opcode; ...; s32 fd; ...; u32 poll32_events; u64 user_data; ... };   // 64 bytes
 *   struct io_uring_cqe { u64 user_data; s32 res; u32 flags; };                                      // 16 bytes
 * </pre>
 *
 * <p>Neither a list handed over on every call (select, poll) nor an interest set kept by the kernel (epoll,
 * kqueue): a queue of requests. Each wanted readiness is one request, an SQE, written into the shared submission
 * ring; its answer is a CQE in the completion ring, carrying the request's 64-bit {@code user_data} (here the
 * client's slot) and in {@code res} the poll mask (or -errno). The dance:
 * <ol>
 *   <li>io_uring_setup and three mmaps once ({@link Ring});</li>
 *   <li>a one-shot POLL_ADD per fd for the events wanted; it completes once, when the fd is ready (at once if it
 *       is already), and is then gone: to hear of the fd again, submit a new one. That is what makes it
 *       level-triggered here: after each answer the fd is asked about again, and a fd still ready answers at once;</li>
 *   <li>one io_uring_enter per turn submits every new request and waits for at least one answer, the timeout
 *       in its argument (IORING_ENTER_EXT_ARG);</li>
 *   <li>a request holds the fd's file: a closed client's request must be removed (POLL_REMOVE, by user_data),
 *       or the socket would stay open until it fires.</li>
 * </ol>
 */
final class RawIoUringTick {

    private RawIoUringTick() {}

    private static final long TIMEOUT = Long.MIN_VALUE, REMOVED = Long.MIN_VALUE + 1;

    static void run(ServerOptions options, AtomicBoolean stop) throws IOException {
        try (RawTickClients clients = RawTickClients.open(options);
             // A CQ with room for an answer per fd twice over, at least twice the SQ (the kernel's own rule), at most
             // what the kernel allows (CLAMP).
             Ring ring = Ring.open(256, Math.max(512, 2 * (clients.slots.length + 1)), IORING_SETUP_CQSIZE() | IORING_SETUP_CLAMP() | Ring.eventLoopFlags())) {
            int n = clients.slots.length;
            Client[] askedFor = new Client[n];   // the client whose request is in flight, per slot
            int[] askedMask = new int[n];
            int[] generation = new int[n];       // user_data = generation << 32 | slot: a reused slot's old answer is told apart
            boolean[] listenerAsked = {false};
            boolean[] accept = {false};
            Completion answers = (userData, res, flags) -> {
                if (userData == TIMEOUT || userData == REMOVED) return;
                if (userData == RawTickClients.LISTENER) {
                    listenerAsked[0] = false;
                    accept[0] = true;
                    return;
                }
                int slot = (int) userData;
                if (askedFor[slot] == null || generation[slot] != (int) (userData >>> 32)) return;   // removed since
                Client c = askedFor[slot];
                askedFor[slot] = null;   // one-shot: answered, gone
                if (!c.open) return;
                // -errno or POLLHUP/POLLERR go to recv, which returns 0 or the error and so closes the client.
                if (res > 0 && (res & POLLOUT()) != 0) clients.writable(c);
                if (res < 0 || (res & (POLLIN() | POLLHUP() | POLLERR())) != 0) {
                    if (c.open) clients.readable(c);
                }
            };

            while (!stop.get()) {
                clients.tickIfDue();

                // 1. Requests: the listener while accepting (a paused one is simply not asked about), each client
                //    for POLLIN, and POLLOUT while it has output queued. A closed client's request is removed.
                if (clients.accepting() && !listenerAsked[0]) {
                    room(ring);
                    ring.preparePollAdd(clients.listener, POLLIN(), false, RawTickClients.LISTENER);
                    listenerAsked[0] = true;
                }
                for (int slot = 0; slot < n; slot++) {
                    Client c = clients.slots[slot], asked = askedFor[slot];
                    int wants = c == null ? 0 : c.hasQueuedOutput() ? POLLIN() | POLLOUT() : POLLIN();
                    if (asked != null && (asked != c || askedMask[slot] != wants)) {
                        room(ring);
                        ring.preparePollRemove((long) generation[slot] << 32 | slot, REMOVED);
                        askedFor[slot] = null;
                    }
                    if (c != null && askedFor[slot] == null) {
                        generation[slot]++;
                        room(ring);
                        ring.preparePollAdd(c.fd, wants, false, (long) generation[slot] << 32 | slot);
                        askedFor[slot] = c;
                        askedMask[slot] = wants;
                    }
                }

                // 2. One io_uring_enter: submit, and wait at most until the next tick (200 ms at most, for the stop flag).
                ring.submitAndWait(1, clients.waitMillis() * 1_000_000, TIMEOUT);

                // 3. The answers, oldest first; new connections after the clients, so a freed slot is not reused mid-scan.
                accept[0] = false;
                ring.reap(answers);
                if (accept[0] && clients.accepting()) {
                    while (clients.accept() != null) {
                        // asked about at the top of the next turn
                    }
                }
            }
        }
    }

    /** Room for one more SQE: a full submission ring is handed to the kernel first. */
    private static void room(Ring ring) throws ErrnoException {
        while (ring.pending() == ring.sqEntries()) ring.submit();
    }
}
