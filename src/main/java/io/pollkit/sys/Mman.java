package io.pollkit.sys;

import java.lang.foreign.MemorySegment;

/**
 * {@code <sys/mman.h>}: mmap and munmap of a file's pages (the io_uring rings). A mapping comes back as a
 * native segment of exactly {@code length} bytes, owned by no arena: it stays valid until {@link #munmap}.
 */
public final class Mman {
    private Mman() {}

    // MAP_FAILED is ((void *) -1), a pointer, so the generator cannot read it as a constant.
    private static final long MAP_FAILED = -1L;

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, at an address the kernel picks.
     * IllegalArgumentException when {@code length} is not positive or {@code offset} negative, before the call.
     */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) throws ErrnoException {
        if (length <= 0) throw new IllegalArgumentException("mmap: length " + length + " is not positive");
        if (offset < 0) throw new IllegalArgumentException("mmap: offset " + offset + " is negative");
        MemorySegment p = Ffm.mmap(MemorySegment.NULL, length, prot, flags, fd, offset);
        if (p.address() == MAP_FAILED) {
            throw new ErrnoException("mmap(length=" + length + ", fd=" + fd + ", offset=0x" + Long.toHexString(offset) + ")",
                    Native.errno(Native.errnoState()));
        }
        return p.reinterpret(length);
    }

    /** munmap(2) of a whole mapping {@link #mmap} returned; the segment must not be used afterwards. */
    public static void munmap(MemorySegment mapping) throws ErrnoException {
        if (mapping.byteSize() <= 0) throw new IllegalArgumentException("munmap: empty segment");
        int r = Ffm.munmap(mapping, mapping.byteSize());
        if (r < 0) {
            throw new ErrnoException("munmap(address=0x" + Long.toHexString(mapping.address()) + ", length="
                    + mapping.byteSize() + ")", -r);
        }
    }
}
