package io.pollkit.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A client's connection as a server's protocol logic sees it, whichever loop drives it: the readiness loop's
 * {@link io.pollkit.loop.Connection} or the io_uring completion loop's {@link UringConnection}. Writes never block;
 * what the socket does not take yet is queued, up to {@code --max-queued}, past which the connection closes.
 */
interface Peer {
    /** The N of the "client N ..." log lines. */
    long id();

    boolean isOpen();

    /** Sends {@code length} bytes of {@code data} from {@code offset}, or queues them; {@code data} may be reused after. */
    void write(MemorySegment data, long offset, long length) throws IOException;

    default void write(MemorySegment data) throws IOException {
        write(data, 0, data.byteSize());
    }

    /** Closes once what is queued is sent ("send this error, then hang up"). */
    void closeAfterFlush(String reason) throws IOException;

    /** Closes now, dropping what is queued. */
    void close(String reason);
}
