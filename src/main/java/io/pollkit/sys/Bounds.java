package io.pollkit.sys;

import java.lang.foreign.MemorySegment;

/**
 * The checks that keep a public call from letting the kernel read or write past a segment: a length or
 * an element count must lie in {@code [0, room]}, tested before the downcall, over both transports. Each
 * is one unsigned comparison (what {@code Objects.checkIndex} compiles to) on the hot path; the message
 * is built only when it throws.
 */
final class Bounds {
    private Bounds() {}

    /** Throws IndexOutOfBoundsException unless {@code 0 <= length <= s.byteSize()}. */
    static void bytes(MemorySegment s, long length, String call, String what) {
        long room = s.byteSize();
        if (Long.compareUnsigned(length, room) > 0) throw outOfBounds(call, what, length, room, 1, room);
    }

    /**
     * Throws IndexOutOfBoundsException unless {@code 0 <= count} and {@code count} elements of
     * {@code size} bytes fit in {@code s}; a null {@code s} has room for none.
     */
    static void elements(MemorySegment s, long count, long size, String call, String what) {
        long bytes = s == null ? 0 : s.byteSize();
        long room = bytes / size;
        if (Long.compareUnsigned(count, room) > 0) throw outOfBounds(call, what, count, room, size, bytes);
    }

    /** Throws IndexOutOfBoundsException unless {@code s} is null or holds at least {@code size} bytes. */
    static void struct(MemorySegment s, long size, String call, String what) {
        if (s != null && s.byteSize() < size) {
            throw new IndexOutOfBoundsException(call + ": " + what + " is " + s.byteSize() + " bytes; it must hold "
                    + size);
        }
    }

    private static IndexOutOfBoundsException outOfBounds(String call, String what, long count, long room, long size,
                                                         long bytes) {
        String fits = size == 1 ? bytes + " bytes" : bytes + " bytes: room for " + room + " of " + size + " bytes each";
        return new IndexOutOfBoundsException(call + ": " + what + "=" + count + " is outside the segment (" + fits + ")");
    }
}
