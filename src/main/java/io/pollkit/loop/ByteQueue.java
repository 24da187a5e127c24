package io.pollkit.loop;

import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.sys_socket_h.MSG_NOSIGNAL;

/** The bytes queued for a connection that could not take them yet: native memory, grown by doubling. */
final class ByteQueue {
    private final Arena arena;
    private MemorySegment buf = MemorySegment.NULL;
    private long head, tail;

    ByteQueue(Arena arena) {
        this.arena = arena;
    }

    long size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    void append(MemorySegment src, long offset, long length) {
        if (tail + length > buf.byteSize()) {
            long live = size();
            if (live + length <= buf.byteSize() / 2) {
                MemorySegment.copy(buf, head, buf, 0, live);   // compact in place
            } else {
                MemorySegment bigger = arena.allocate(Math.max(4096, Long.highestOneBit(live + length) * 2));
                if (live > 0) MemorySegment.copy(buf, head, bigger, 0, live);
                buf = bigger;   // the old one is freed with the connection's arena
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
            long n = Sockets.send(fd, buf.asSlice(head), tail - head, MSG_NOSIGNAL());
            if (n == Results.WOULD_BLOCK) return false;
            head += n;
        }
        head = tail = 0;
        return true;
    }
}
