package io.pollkit.server;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.sys_socket_h.MSG_DONTWAIT;

/**
 * A client over {@code --max-clients}: answered (http: 503) or not, what it sent dropped, closed, and logged the
 * same way by every server. MSG_DONTWAIT, because the completion server's sockets are blocking ones.
 */
final class Refusal {
    private Refusal() {}

    /** A short answer on a fresh socket, whose send buffer takes it whole; a client gone already is closed all the same. */
    static void answer(int fd, MemorySegment answer) {
        try {
            Sockets.send(fd, answer, answer.byteSize(), Sockets.NOSIGNAL | MSG_DONTWAIT());
        } catch (ErrnoException e) {
            // closed next anyway
        }
    }

    /**
     * Reads and drops what the client already sent, then closes: a close with unread bytes is a reset, which may
     * destroy the answer on its way. {@code scratch} is any buffer of the loop's.
     */
    static void drainAndClose(int fd, MemorySegment scratch, PrintStream log, long id, int clients, int maxClients) {
        try {
            Sockets.recv(fd, scratch, scratch.byteSize(), MSG_DONTWAIT());
        } catch (ErrnoException e) {
            // closing it anyway
        }
        Unistd.closeQuietly(fd);
        log.println("client " + id + " refused: " + clients + " clients already (--max-clients=" + maxClients + ")");
    }
}
