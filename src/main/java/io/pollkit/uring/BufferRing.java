package io.pollkit.uring;

import io.pollkit.bindings.io_uring_buf;
import io.pollkit.bindings.io_uring_buf_reg;
import io.pollkit.bindings.io_uring_buf_ring;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.IoUring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.pollkit.bindings.io_uring_h.IORING_CQE_BUFFER_SHIFT;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_BUFFER;
import static io.pollkit.bindings.io_uring_h.IORING_REGISTER_PBUF_RING;
import static io.pollkit.bindings.io_uring_h.IORING_UNREGISTER_PBUF_RING;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19 and later): {@code count} buffers of {@code size} bytes
 * that the kernel picks from for requests with IOSQE_BUFFER_SELECT in group {@code group}, such as
 * {@link Ring#prepareRecvMultishot}. A completion names the buffer it filled ({@link #bufferId}); the program reads
 * it and gives it back ({@link #recycle}), and the returns of a loop turn reach the kernel at once with one release
 * store of the ring's tail ({@link #publish}). When every buffer is out, a recv completes with -ENOBUFS and is
 * disarmed: re-arm it once buffers are back.
 *
 * <p>The ring's memory is the program's, page-aligned as the kernel asks, and shared with it: the kernel reads the
 * entries up to the tail, which the program writes with a release store after the entries (io_uring(7)'s rule for
 * the SQ tail). The 16-bit tail sits where the first entry's {@code resv} is, as the header's union lays out.
 *
 * <p>It belongs to the thread of its ring. Nothing is allocated after {@link #register}: every buffer's segment is
 * made once.
 */
public final class BufferRing implements AutoCloseable {
    // (MemorySegment, long offset) -> short: the ring's tail, 2-aligned in the page-aligned ring.
    private static final VarHandle TAIL = JAVA_SHORT.varHandle();
    private static final long PAGE = 4096;

    private final Ring ring;
    private final int group;
    private final int count;
    private final int size;
    private final int mask;
    private final Arena arena;
    private final MemorySegment entries;
    private final MemorySegment[] buffers;
    private int tail;         // entries written; published to the kernel by publish()
    private int published;    // the tail the kernel has seen
    private boolean closed;

    private BufferRing(Ring ring, int group, int count, int size, Arena arena, MemorySegment entries, MemorySegment data) {
        this.ring = ring;
        this.group = group;
        this.count = count;
        this.size = size;
        this.mask = count - 1;
        this.arena = arena;
        this.entries = entries;
        this.buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = data.asSlice((long) i * size, size);
    }

    /**
     * Registers group {@code group} of {@code count} buffers (a power of two, at most 32768) of {@code size} bytes
     * each with {@code ring}, every buffer given to the kernel. ErrnoException EINVAL on a kernel before 5.19 (or a
     * group already registered), EEXIST for a group in use.
     */
    public static BufferRing register(Ring ring, int group, int count, int size) throws ErrnoException {
        if (count <= 0 || count > 32768 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("a buffer ring's count must be a power of two up to 32768, not " + count);
        }
        if (size <= 0) throw new IllegalArgumentException("buffer size must be positive, not " + size);
        if (group < 0 || group > 0xffff) throw new IllegalArgumentException("buffer group must fit 16 bits, not " + group);
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment entries = arena.allocate(io_uring_buf.sizeof() * count, PAGE);
            MemorySegment data = arena.allocate((long) count * size, PAGE);
            MemorySegment reg = arena.allocate(io_uring_buf_reg.layout());
            io_uring_buf_reg.ring_addr(reg, entries.address());
            io_uring_buf_reg.ring_entries(reg, count);
            io_uring_buf_reg.bgid(reg, (short) group);
            IoUring.io_uring_register(ring.fd(), IORING_REGISTER_PBUF_RING(), reg, 1);
            BufferRing b = new BufferRing(ring, group, count, size, arena, entries, data);
            for (int i = 0; i < count; i++) b.recycle(i);
            b.publish();
            return b;
        } catch (ErrnoException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Whether a completion's {@code flags} name a buffer (IORING_CQE_F_BUFFER). */
    public static boolean hasBuffer(int cqeFlags) {
        return (cqeFlags & IORING_CQE_F_BUFFER()) != 0;
    }

    /** The id of the buffer a completion's {@code flags} name (with IORING_CQE_F_BUFFER set). */
    public static int bufferId(int cqeFlags) {
        return cqeFlags >>> IORING_CQE_BUFFER_SHIFT();
    }

    /** Buffer {@code id}: all {@link #size()} bytes of it; a completion's {@code res} says how many it filled. */
    public MemorySegment buffer(int id) {
        return buffers[id];
    }

    /** Gives buffer {@code id} back; the kernel sees it after the next {@link #publish}. */
    public void recycle(int id) {
        if (closed) return;
        long e = (long) (tail & mask) * io_uring_buf.sizeof();
        entries.set(io_uring_buf.addr$layout(), e + io_uring_buf.addr$offset(), buffers[id].address());
        entries.set(io_uring_buf.len$layout(), e + io_uring_buf.len$offset(), size);
        entries.set(io_uring_buf.bid$layout(), e + io_uring_buf.bid$offset(), (short) id);
        tail++;
    }

    /** Hands the recycled buffers to the kernel: the entries are written before the tail that publishes them. */
    public void publish() {
        if (tail == published || closed) return;
        TAIL.setRelease(entries, io_uring_buf_ring.tail$offset(), (short) tail);
        published = tail;
    }

    public int group() {
        return group;
    }

    public int count() {
        return count;
    }

    public int size() {
        return size;
    }

    /** Unregisters the group and frees the buffers; requests still using the group fail with -ENOBUFS. Idempotent. */
    @Override
    public void close() throws ErrnoException {
        if (closed) return;
        closed = true;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(io_uring_buf_reg.layout());
            io_uring_buf_reg.bgid(reg, (short) group);
            IoUring.io_uring_register(ring.fd(), IORING_UNREGISTER_PBUF_RING(), reg, 1);
        } finally {
            arena.close();
        }
    }
}
