package io.pollkit.poller;

import java.io.IOException;

/**
 * A readiness backend: select, poll, epoll, kqueue or io_uring behind one contract. A backend translates to its
 * API and nothing more; timers, retries and dispatch live in the event loop.
 *
 * <h2>The contract</h2>
 * <ul>
 *   <li><b>Registration.</b> {@link #register} adds an fd with an interest ({@link #READ}, {@link #WRITE},
 *       both, or 0 for hang-up and errors only) and a caller-chosen {@code long} token, any but
 *       {@code Long.MIN_VALUE}, which marks the backend's own waker (refused: IllegalArgumentException);
 *       {@link #modify} replaces both; {@link #unregister} removes the fd. Registering a registered fd,
 *       or modifying or unregistering an unknown one, is an ErrnoException (EEXIST, ENOENT) on every
 *       backend. Close an fd only after unregistering it.</li>
 *   <li><b>Level-triggered.</b> An fd is reported on every {@link #poll} while it stays ready for its
 *       interest. Edge-triggered and one-shot modes ({@link #EDGE}, {@link #ONESHOT}, OR-ed into the
 *       interest) exist only where {@link #supports} says so; elsewhere registering them throws
 *       UnsupportedOperationException.</li>
 *   <li><b>Hang-up and error</b> are reported, whatever the interest: {@link Events#ready} holds
 *       {@link #HANGUP} and/or {@link #ERROR}; after them a read returns 0 or the error. With {@link #READ}
 *       in the interest, a peer that only shut down its writing side (a TCP FIN) is a hang-up too; without
 *       it, only a hang-up of both directions and errors are. A backend never loops on them itself; the
 *       caller unregisters or closes the fd. Two backends fall short:
 *       <ul>
 *         <li>select has neither event: a hang-up or an error shows as {@link #READABLE}, so only an fd
 *             registered with {@link #READ} hears of them;</li>
 *         <li>kqueue reports them (EV_EOF) only through an enabled filter, so an fd registered with
 *             interest 0 hears of none.</li>
 *       </ul></li>
 *   <li><b>Waiting.</b> {@link #poll} waits at most {@code timeoutMillis} (-1: no limit, 0: not at all) and
 *       fills the caller's reusable {@link Events} with up to its capacity; it returns how many. It returns
 *       0 early after a {@link #wakeup()} or a signal (EINTR): the caller recomputes its timeout. A full
 *       buffer means more may be ready: poll again with timeout 0; the fds left out come first then, even
 *       if the caller has not consumed the ones reported. One fd is usually one event; kqueue, which keeps
 *       a filter per direction, can report a token twice in one poll (once READABLE, once WRITABLE).</li>
 *   <li><b>Wakeup</b> is the one call that is safe from any thread: it makes the current or next poll
 *       return; wakeups that happen before the poll drains them collapse into one.</li>
 *   <li><b>Threads.</b> Everything but {@link #wakeup()} belongs to one thread (the event loop's).</li>
 *   <li><b>No allocation</b> on the steady-state path: {@link #poll} and re-registration of known fds.</li>
 * </ul>
 */
public interface Poller extends AutoCloseable {
    /** Interest: readable. */
    int READ = 1;
    /** Interest: writable. */
    int WRITE = 2;
    /** Mode, OR-ed into the interest: edge-triggered (EPOLLET, EV_CLEAR), where {@link #supports} says so. */
    int EDGE = 0x100;
    /** Mode, OR-ed into the interest: report once, then disable until {@link #modify} (EPOLLONESHOT, EV_ONESHOT). */
    int ONESHOT = 0x200;

    /** Ready: a read will not block (data, end of stream, or a pending connection on a listener). */
    int READABLE = 1;
    /** Ready: a write will not block. */
    int WRITABLE = 2;
    /** Ready: the peer hung up (POLLHUP, EPOLLHUP/EPOLLRDHUP, EV_EOF). */
    int HANGUP = 4;
    /** Ready: an error is pending on the fd (POLLERR, EPOLLERR, EV_EOF with an error). */
    int ERROR = 8;

    /** The backend's name: select, poll, epoll, kqueue or io_uring. */
    String name();

    /** Whether this backend supports the mode {@link #EDGE} or {@link #ONESHOT}. */
    boolean supports(int mode);

    /** Starts watching {@code fd} for {@code interest}; events carry {@code token}. */
    void register(int fd, int interest, long token) throws IOException;

    /** Replaces the interest and token of a registered fd (and re-arms a one-shot one). */
    void modify(int fd, int interest, long token) throws IOException;

    /** Stops watching {@code fd}. */
    void unregister(int fd) throws IOException;

    /** Waits for readiness; see the contract above. Returns the number of events placed in {@code events}. */
    int poll(Events events, long timeoutMillis) throws IOException;

    /** Makes the current or next {@link #poll} return; safe from any thread; repeated calls collapse. */
    void wakeup();

    /** Closes the backend's own fds (not the registered ones). */
    @Override
    void close();
}
