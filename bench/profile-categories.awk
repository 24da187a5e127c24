# Sorts async-profiler's collapsed stacks (collected with its `threads` option, so each stack starts with
# "[thread-name tid=N]") into where the server's CPU went: its syscalls (kernel time lands in the libc wrapper
# that made the call, where the interval timer's signal is taken), the JDK's downcall machinery, pollkit's own
# code by layer, the JIT and the other JVM threads. With -v us_per_request=X each share is also given in µs of
# that request's CPU. bench/profile calls it; the order of the rules matters (the first that matches wins).

function category(stack, top,    thread, name) {
    thread = stack
    sub(/;.*/, "", thread)
    if (thread ~ /^\[C[12] CompilerThre/) return "JIT compiler threads"
    if (thread ~ /^\[(GC Thread|G1 |VM Periodic|VM Thread|Service Thread|Monitor Deflation)/) return "GC, VM and service threads"
    if (stack !~ /io\/pollkit\// && thread !~ /^\[main /) return "other threads"
    name = top
    sub(/^(__GI_|__libc_|_)+/, "", name)
    if (name ~ /^(send|recv|sendto|recvfrom|sendmsg|recvmsg|epoll_wait|epoll_pwait|epoll_ctl|read|write|readv|writev|accept4?|close|poll|ppoll|select|pselect6?|syscall|setsockopt|getsockopt|io_uring_enter|pthread_(enable|disable)_asynccancel)$/)
        return "syscalls: kernel time and libc's wrapper"
    if (top ~ /capture_state|__errno_location/) return "errno capture (the JDK's DowncallLinker::capture_state)"
    if (top ~ /DowncallStub|LambdaForm|^java\/lang\/invoke\/|^jdk\/internal\/foreign\//) return "downcall stubs and method handles (the JDK's)"
    if (top ~ /^io\/pollkit\/server\/HttpRequestParser/) return "pollkit: HTTP request parser"
    if (top ~ /^io\/pollkit\/server\//) return "pollkit: server (sessions, timeouts, responses)"
    if (top ~ /^io\/pollkit\/(loop|poller)\//) return "pollkit: event loop and poller"
    if (top ~ /^io\/pollkit\//) return "pollkit: syscall bindings"
    if (top ~ /vdso|clock_gettime|javaTimeNanos/) return "clock (System.nanoTime)"
    if (top ~ /\//) return "other Java code"
    return "other native code (JVM, libc)"
}

{
    n = $NF
    stack = $0
    sub(/ [0-9]+$/, "", stack)
    top = stack
    sub(/.*;/, "", top)
    by[category(stack, top)] += n
    total += n
}

END {
    if (total == 0) { print "(no samples)"; exit }
    printf "| where | samples | share |%s\n", us_per_request ? " µs per request |" : ""
    printf "|---|---:|---:|%s\n", us_per_request ? "---:|" : ""
    for (c in by)
        printf "| %s | %d | %.1f%% |%s\n", c, by[c], 100 * by[c] / total,
            us_per_request ? sprintf(" %.2f |", us_per_request * by[c] / total) : "" | "sort -t'|' -k3 -rn"
    close("sort -t'|' -k3 -rn")
    printf "| all | %d | 100%% |%s\n", total, us_per_request ? sprintf(" %.2f |", us_per_request) : ""
}
