package io.pollkit.bench;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Unistd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** W1's fd layout: read ends on the N lowest free fds, write ends above them, as w1-dispatch.c does. */
class PairsTest {
    @Test
    void readEndsTakeTheLowestFreeFdsAndWriteEndsGoAbove() throws Exception {
        int n = 1000;
        int[] lowestFree = new int[n];
        for (int fd = 0, found = 0; found < n; fd++) if (!isOpen(fd)) lowestFree[found++] = fd;

        try (Pairs p = Pairs.open(n); Arena arena = Arena.ofConfined()) {
            assertArrayEquals(lowestFree, p.read);
            for (int i = 0; i < n; i++) {
                assertTrue(p.write[i] > p.maxRead(), "write end " + p.write[i] + " of pair " + i + " above every read end");
            }
            MemorySegment b = arena.allocate(1);
            b.set(JAVA_BYTE, 0, (byte) 'x');
            assertEquals(1, Unistd.write(p.write[n - 1], b, 1));
            assertEquals(1, Unistd.read(p.read[n - 1], b, 1), "the last pair is connected");
        }
    }

    private static boolean isOpen(int fd) {
        try {
            Fcntl.fcntl(fd, F_GETFD());
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }
}
