package io.pollkit.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** A server's protocol for one client, over a {@link Peer}: the same code on the readiness and completion loops. */
interface Session {
    /** The connection is open, before any byte (to start a timeout). */
    default void opened(Peer p) {}

    /** {@code length} bytes arrived at the start of {@code data}, which is reused after this returns. */
    void received(Peer p, MemorySegment data, long length) throws IOException;

    /** The connection closed, for {@code reason}. */
    default void closed(Peer p, String reason) {}
}
