/**
 * pollkit: the kernel's socket and readiness syscalls (select, poll, epoll, kqueue, io_uring) called directly
 * through the Foreign Function &amp; Memory API, and an event loop on top of them.
 *
 * <ul>
 *   <li>{@code io.pollkit.bindings}: generated from the platform's C headers (bindings/mkbindings);</li>
 *   <li>{@code io.pollkit.sys}: one small class per syscall facility, C names for C things;</li>
 *   <li>{@code io.pollkit.uring}: io_uring's rings without liburing: setup, SQEs, timed waits, reaping;</li>
 *   <li>{@code io.pollkit.poller}: one readiness contract, five backends (select, poll, epoll, kqueue, io_uring);</li>
 *   <li>{@code io.pollkit.loop}: an event loop with fd callbacks, timers, cross-thread tasks and
 *       connections with capped output queues;</li>
 *   <li>{@code io.pollkit.uring}: io_uring without liburing (Linux): the ring, provided buffer rings.</li>
 * </ul>
 * The servers and the command line are a separate module, {@code io.pollkit.servers}, built on these exports.
 */
module io.pollkit {
    exports io.pollkit.bindings;
    exports io.pollkit.sys;
    exports io.pollkit.poller;
    exports io.pollkit.loop;
    exports io.pollkit.uring;
}
