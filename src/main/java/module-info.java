/**
 * pollkit: the kernel's socket and readiness syscalls (select, poll, epoll, kqueue) called directly
 * through the Foreign Function &amp; Memory API.
 *
 * <ul>
 *   <li>{@code io.pollkit.bindings}: generated from the platform's C headers (bindings/mkbindings);</li>
 *   <li>{@code io.pollkit.sys}: one small class per syscall facility, C names for C things.</li>
 * </ul>
 */
module io.pollkit {
    exports io.pollkit.bindings;
    exports io.pollkit.sys;
}
