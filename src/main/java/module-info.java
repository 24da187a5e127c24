/**
 * pollkit: the kernel's socket and readiness syscalls (select, poll, epoll, kqueue) called directly
 * through the Foreign Function &amp; Memory API.
 *
 * <ul>
 *   <li>{@code io.pollkit.bindings}: generated from the platform's C headers (bindings/mkbindings);</li>
 *   <li>{@code io.pollkit.sys}: one small class per syscall facility, C names for C things;</li>
 *   <li>{@code io.pollkit.poller}: one readiness contract, four backends (select, poll, epoll, kqueue);</li>
 *   <li>{@code io.pollkit.server}: the tick, echo and HTTP servers and their options;</li>
 *   <li>{@code io.pollkit.server.raw}: the tick server written straight against each readiness API.</li>
 * </ul>
 */
module io.pollkit {
    requires jdk.unsupported;   // sun.misc.Signal: SIGINT/SIGTERM stop the servers cleanly (part of the JDK)

    exports io.pollkit.bindings;
    exports io.pollkit.sys;
    exports io.pollkit.poller;
    exports io.pollkit.loop;
    exports io.pollkit.server;
    exports io.pollkit.server.raw;
}
