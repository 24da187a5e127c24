package io.pollkit.loop;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The out-queue over a real socketpair whose peer reads when the test says: the bytes that come out are the bytes
 * that went in, in order, and the native memory the queue holds stays under twice the most it ever held.
 */
@Timeout(60)
class ByteQueueTest {
    /**
     * A queue kept between half full and full, for hundreds of wraps: it compacts in place. (It used to
     * allocate a buffer of the same size on every wrap, each kept until the connection closed.)
     */
    @Test
    void aQueueKeptBetweenHalfAndFullNeverReallocates() throws Exception {
        int max = 65536, chunk = 10_000;
        try (QueuePeer p = new QueuePeer(); Arena arena = Arena.ofConfined(); ByteQueue q = new ByteQueue()) {
            MemorySegment data = arena.allocate(chunk);
            long in = 0, out = 0;
            for (int round = 0; round < 2000; round++) {
                while (q.size() + chunk <= max) {
                    QueuePeer.fill(data, in);
                    q.append(data, 0, chunk);
                    in += chunk;
                }
                out += p.drain(20_000, out);   // the peer takes about two chunks, the queue sends what fits
                q.flush(p.writer);
                assertTrue(q.capacity() <= 2L * max, "capacity " + q.capacity());
            }
            assertTrue(q.buffers() <= 6, "buffers allocated: " + q.buffers());
        }
    }

}
