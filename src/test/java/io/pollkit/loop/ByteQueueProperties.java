package io.pollkit.loop;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The out-queue against a model: what comes out of the socket is what went in, and memory stays bounded. */
class ByteQueueProperties {
    /** Random appends and flushes against a peer that reads random amounts: order kept, memory bounded. */
    @Property(tries = 60)
    void bytesOutEqualBytesInAndMemoryStaysBounded(@ForAll @Size(min = 1, max = 200) List<@IntRange(min = 1, max = 30_000) Integer> appends,
                                                  @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 0, max = 60_000) Integer> reads)
            throws Exception {
        try (QueuePeer p = new QueuePeer(); Arena arena = Arena.ofConfined(); ByteQueue q = new ByteQueue()) {
            MemorySegment data = arena.allocate(30_000);
            long in = 0, out = 0, most = 0;
            for (int i = 0; i < appends.size(); i++) {
                int n = appends.get(i);
                QueuePeer.fill(data, in);
                q.append(data, 0, n);
                in += n;
                most = Math.max(most, q.size());
                q.flush(p.writer);
                out += p.drain(reads.get(i % reads.size()), out);
                assertTrue(q.capacity() <= Math.max(ByteQueue.MIN_CAPACITY, 2 * most), q.capacity() + " for at most " + most);
            }
            while (!q.flush(p.writer) || out < in) out += p.drain(1 << 20, out);
            assertEquals(in, out);
            assertTrue(q.isEmpty());
        }
    }

}
