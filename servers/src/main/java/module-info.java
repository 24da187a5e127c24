/**
 * pollkit's servers and command line: tick, echo, http and raw-tick on any backend, written against the
 * library's exported packages only ({@code io.pollkit}), as any user's program is.
 */
module io.pollkit.servers {
    requires io.pollkit;
    requires jdk.unsupported;   // sun.misc.Signal: SIGINT/SIGTERM stop the servers cleanly (part of the JDK)

    exports io.pollkit.server;
    exports io.pollkit.server.raw;
    exports io.pollkit.cli;
}
