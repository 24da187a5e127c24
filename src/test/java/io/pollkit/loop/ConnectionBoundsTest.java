package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Connection#write(MemorySegment, long, long)} refuses a range outside its segment before anything
 * is sent or queued: the peer receives nothing. Runs over FFM and again over the JNI twin.
 */
class ConnectionBoundsTest {
    @Test
    void writeOutsideTheSegmentSendsAndQueuesNothing() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (EventLoop loop = new EventLoop(Backend.POLL, new PrintStream(OutputStream.nullOutputStream()));
             Arena arena = Arena.ofConfined()) {
            Connection c = new Connection(loop, pair[0], 1, arena.allocate(64), 1 << 16, (conn, bytes, n) -> {});
            MemorySegment data = arena.allocateFrom("01234567");   // 8 bytes and a NUL
            MemorySegment in = arena.allocate(64);
            for (long[] bad : new long[][] {{0, 10}, {4, 6}, {-1, 2}, {2, -1}, {9, 1}, {Long.MAX_VALUE, 2}}) {
                assertThrows(IndexOutOfBoundsException.class, () -> c.write(data, bad[0], bad[1]),
                        "offset " + bad[0] + ", length " + bad[1]);
            }
            assertEquals(Results.WOULD_BLOCK, Unistd.read(pair[1], in, in.byteSize()), "nothing was sent");
            c.write(data, 4, 4);
            assertEquals(4, Unistd.read(pair[1], in, in.byteSize()), "sent at once: nothing was queued before");
            assertEquals("4567", new String(in.asSlice(0, 4).toArray(JAVA_BYTE)));
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
    }
}
