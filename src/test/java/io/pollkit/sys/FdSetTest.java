package io.pollkit.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FD_ZERO/FD_SET/FD_CLR/FD_ISSET for every fd from 0 to FD_SETSIZE - 1, and both boundaries. */
class FdSetTest {

    @Test
    void everyFdSetsExactlyItsOwnBit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = FdSet.allocate(arena);
            for (int fd = 0; fd < FdSet.FD_SETSIZE; fd++) {
                FdSet.zero(set);
                FdSet.set(set, fd);
                assertTrue(FdSet.isSet(set, fd), "fd " + fd);
                if (fd > 0) assertFalse(FdSet.isSet(set, fd - 1), "fd " + (fd - 1) + " beside " + fd);
                if (fd + 1 < FdSet.FD_SETSIZE) assertFalse(FdSet.isSet(set, fd + 1), "fd " + (fd + 1) + " beside " + fd);
                assertEquals(1, bitCount(set), "one bit for fd " + fd);
                FdSet.clear(set, fd);
                assertFalse(FdSet.isSet(set, fd));
                assertEquals(0, bitCount(set));
            }
        }
    }

    @Test
    void allFdsTogetherFillTheSet() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = FdSet.allocate(arena);
            for (int fd = 0; fd < FdSet.FD_SETSIZE; fd++) FdSet.set(set, fd);
            assertEquals(FdSet.FD_SETSIZE, bitCount(set));
            FdSet.zero(set);
            assertEquals(0, bitCount(set));
        }
    }

    @Test
    void boundariesAreRefusedNotWrittenOutOfBounds() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = FdSet.allocate(arena);
            IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> FdSet.set(set, FdSet.FD_SETSIZE));
            assertEquals("fd 1024 does not fit in an fd_set: select handles fds 0 to 1023 (FD_SETSIZE=1024); use poll or epoll for more",
                    past.getMessage());
            assertThrows(IllegalArgumentException.class, () -> FdSet.set(set, -1));
            assertThrows(IllegalArgumentException.class, () -> FdSet.isSet(set, FdSet.FD_SETSIZE));
            assertThrows(IllegalArgumentException.class, () -> FdSet.clear(set, -1));
            assertEquals(0, bitCount(set));
            assertTrue(FdSet.fits(FdSet.FD_SETSIZE - 1));
            assertFalse(FdSet.fits(FdSet.FD_SETSIZE));
        }
    }

    private static int bitCount(MemorySegment set) {
        int n = 0;
        for (long i = 0; i < set.byteSize() / 8; i++) n += Long.bitCount(set.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i));
        return n;
    }
}
