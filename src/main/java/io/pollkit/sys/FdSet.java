package io.pollkit.sys;

import io.pollkit.bindings.fd_set;
import io.pollkit.bindings.sys_select_h;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * The FD_ZERO, FD_SET, FD_CLR and FD_ISSET macros over a {@code fd_set} segment, which no binding
 * generator can bind because they are macros. An fd below 0 or at or past FD_SETSIZE is refused with
 * an IllegalArgumentException, never written out of bounds.
 */
public final class FdSet {
    private FdSet() {}

    /** {@code FD_SETSIZE}: select can watch fds 0 to FD_SETSIZE - 1 only. */
    public static final int FD_SETSIZE = sys_select_h.FD_SETSIZE();

    private static final int NFDBITS = sys_select_h.NFDBITS();
    private static final long WORDS = FD_SETSIZE / NFDBITS;
    private static final long SIZE = fd_set.sizeof();

    /** Allocates an empty fd_set. */
    public static MemorySegment allocate(SegmentAllocator allocator) {
        return fd_set.allocate(allocator);
    }

    /** FD_ZERO. */
    public static void zero(MemorySegment set) {
        // fill the segment itself when it is exactly an fd_set: a slice would be an object per call
        (set.byteSize() == SIZE ? set : set.asSlice(0, SIZE)).fill((byte) 0);
    }

    /** FD_SET. */
    public static void set(MemorySegment set, int fd) {
        long i = word(fd);
        fd_set.fds_bits(set, i, fd_set.fds_bits(set, i) | bit(fd));
    }

    /** FD_CLR. */
    public static void clear(MemorySegment set, int fd) {
        long i = word(fd);
        fd_set.fds_bits(set, i, fd_set.fds_bits(set, i) & ~bit(fd));
    }

    /** FD_ISSET. */
    public static boolean isSet(MemorySegment set, int fd) {
        return (fd_set.fds_bits(set, word(fd)) & bit(fd)) != 0;
    }

    /** Whether {@code fd} fits in an fd_set. */
    public static boolean fits(int fd) {
        return fd >= 0 && fd < FD_SETSIZE;
    }

    private static long word(int fd) {
        if (!fits(fd)) {
            throw new IllegalArgumentException("fd " + fd + " does not fit in an fd_set: select handles fds 0 to "
                    + (FD_SETSIZE - 1) + " (FD_SETSIZE=" + FD_SETSIZE + "); use poll or epoll for more");
        }
        long w = fd / NFDBITS;
        assert w < WORDS;
        return w;
    }

    private static long bit(int fd) {
        return 1L << (fd % NFDBITS);
    }
}
