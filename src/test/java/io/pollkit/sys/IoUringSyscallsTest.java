package io.pollkit.sys;

import io.pollkit.bindings.io_uring_params;
import io.pollkit.testing.Skip;
import io.pollkit.uring.Availability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.errno_h.EINVAL;
import static io.pollkit.bindings.errno_h.EOPNOTSUPP;
import static io.pollkit.bindings.io_uring_h.IORING_ENTER_GETEVENTS;
import static io.pollkit.bindings.io_uring_h.IORING_OFF_SQES;
import static io.pollkit.bindings.io_uring_h.IORING_REGISTER_PROBE;
import static io.pollkit.bindings.sys_mman_h.MAP_ANONYMOUS;
import static io.pollkit.bindings.sys_mman_h.MAP_PRIVATE;
import static io.pollkit.bindings.sys_mman_h.MAP_SHARED;
import static io.pollkit.bindings.sys_mman_h.PROT_READ;
import static io.pollkit.bindings.sys_mman_h.PROT_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mmap/munmap and the three io_uring syscalls through syscall(2): results, errors and their messages. */
class IoUringSyscallsTest {

    @Test
    void anAnonymousMappingIsReadAndWrittenThenUnmapped() throws ErrnoException {
        MemorySegment m = Mman.mmap(8192, PROT_READ() | PROT_WRITE(), MAP_PRIVATE() | MAP_ANONYMOUS(), -1, 0);
        assertEquals(8192, m.byteSize());
        assertEquals(0, m.address() % 4096, "page-aligned");
        m.set(JAVA_LONG, 8184, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, m.get(JAVA_LONG, 8184));
        Mman.munmap(m);
    }

    @Test
    void mmapFailuresNameTheCall() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Mman.mmap(4096, PROT_READ(), MAP_SHARED(), -1, 0));
        assertEquals(EBADF(), e.errno());
        assertTrue(e.getMessage().startsWith("mmap(length=4096, fd=-1, offset=0x0)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Mman.mmap(0, PROT_READ(), MAP_SHARED(), -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Mman.mmap(4096, PROT_READ(), MAP_SHARED(), -1, -4096));
    }

    @Test
    void setupEnterAndRegisterGoThroughSyscall(TestInfo test) throws ErrnoException {
        String reason = Availability.unavailableReason();
        if (reason != null) Skip.because(test, reason);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = io_uring_params.allocate(arena);
            int fd = IoUring.io_uring_setup(4, p);
            try {
                assertEquals(4, io_uring_params.sq_entries(p));
                assertEquals(8, io_uring_params.cq_entries(p));
                assertEquals(0, IoUring.io_uring_enter(fd, 0, 0, 0), "nothing to submit");
                // The SQE array of a real ring maps; an offset the kernel does not know is refused.
                MemorySegment sqes = Mman.mmap(4 * 64, PROT_READ() | PROT_WRITE(), MAP_SHARED(), fd, IORING_OFF_SQES());
                Mman.munmap(sqes);
                ErrnoException reg = assertThrows(ErrnoException.class,
                        () -> IoUring.io_uring_register(fd, IORING_REGISTER_PROBE(), null, 0));
                assertTrue(reg.getMessage().startsWith("io_uring_register(fd=" + fd + ", opcode="), reg.getMessage());
            } finally {
                Unistd.close(fd);
            }
            io_uring_params.flags(p.fill((byte) 0), 1 << 30);
            ErrnoException e = assertThrows(ErrnoException.class, () -> IoUring.io_uring_setup(4, p));
            assertEquals(EINVAL(), e.errno());
            assertTrue(e.getMessage().startsWith("io_uring_setup(entries=4, flags=0x40000000)"), e.getMessage());
            int[] pipe = Unistd.pipe2(0);
            try {
                ErrnoException notRing = assertThrows(ErrnoException.class,
                        () -> IoUring.io_uring_enter(pipe[0], 1, 0, IORING_ENTER_GETEVENTS()));
                assertEquals(EOPNOTSUPP(), notRing.errno(), "io_uring_enter on a pipe");
            } finally {
                Unistd.close(pipe[0]);
                Unistd.close(pipe[1]);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> IoUring.io_uring_setup(4, MemorySegment.ofArray(new byte[120])));
        assertThrows(IndexOutOfBoundsException.class,
                () -> IoUring.io_uring_setup(4, Arena.ofAuto().allocate(io_uring_params.sizeof() - 1)));
    }
}
