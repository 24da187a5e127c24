package io.pollkit.loop;

import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;


/**
 * The bytes queued for a connection that could not take them yet, in one native buffer. The buffer is
 * compacted in place while the bytes fit it, and replaced by one of twice the size (at least) only when they
 * do not; each buffer has an arena of its own, freed when it is replaced. So the memory a queue holds is one
 * buffer of less than twice the most bytes it ever held (and at least {@value #MIN_CAPACITY}), whatever the
 * pattern of appends and flushes. Confined to the loop's thread.
 */
final class ByteQueue implements AutoCloseable {
    static final long MIN_CAPACITY = 4096;

    private Arena arena;
    private MemorySegment buf = MemorySegment.NULL;
    private long head, tail;
    private long buffers;   // buffers allocated so far: a test's window on how often the queue reallocates

    long size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    /** How many buffers the queue has allocated in its life. */
    long buffers() {
        return buffers;
    }

    /** The native memory the queue holds now, in bytes. */
    long capacity() {
        return buf.byteSize();
    }

    void append(MemorySegment src, long offset, long length) {
        if (tail + length > buf.byteSize()) {
            long live = size();
            if (live + length <= buf.byteSize()) {
                MemorySegment.copy(buf, head, buf, 0, live);   // compact: MemorySegment.copy allows the overlap
            } else {
                long capacity = Math.max(MIN_CAPACITY, Math.max(2 * buf.byteSize(), Long.highestOneBit(live + length) << 1));
                Arena bigger = Arena.ofConfined();
                MemorySegment next = bigger.allocate(capacity);
                buffers++;
                if (live > 0) MemorySegment.copy(buf, head, next, 0, live);
                close();
                arena = bigger;
                buf = next;
            }
            head = 0;
            tail = live;
        }
        MemorySegment.copy(src, offset, buf, tail, length);
        tail += length;
    }

    /** Sends what it can; true when empty afterwards. */
    boolean flush(int fd) throws IOException {
        while (head < tail) {
            // No slice when sending from the start: a slice is an object per send, where escape analysis fails.
            MemorySegment from = head == 0 ? buf : buf.asSlice(head);
            long n = Sockets.send(fd, from, tail - head, Sockets.NOSIGNAL | Sockets.DONTWAIT);
            if (n == Results.WOULD_BLOCK) return false;
            head += n;
        }
        head = tail = 0;
        return true;
    }

    /** Frees the buffer; the queue is empty and can be used again. */
    @Override
    public void close() {
        if (arena != null) arena.close();
        arena = null;
        buf = MemorySegment.NULL;
        head = tail = 0;
    }
}
