package io.pollkit.uring;

import io.pollkit.bindings.io_uring_probe;
import io.pollkit.bindings.io_uring_probe_op;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.IoUring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

import static io.pollkit.bindings.io_uring_h.IORING_REGISTER_PROBE;
import static io.pollkit.bindings.io_uring_h.IO_URING_OP_SUPPORTED;

/**
 * IORING_REGISTER_PROBE (5.6 and later): which IORING_OP_* the kernel of a ring knows. The kernel fills a
 * {@code struct io_uring_probe} followed by up to 256 {@code struct io_uring_probe_op} (a flexible array, so it
 * starts at {@code sizeof(struct io_uring_probe)}); an op is usable when its flags have IO_URING_OP_SUPPORTED.
 */
public final class Probe {
    private Probe() {}

    /** One byte of opcode in an SQE: at most 256 opcodes. */
    private static final int MAX_OPS = 256;

    /**
     * The opcodes the kernel of ring {@code ringFd} supports. ErrnoException EINVAL on a kernel before 5.6,
     * which has no probe.
     */
    public static BitSet opcodes(int ringFd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            long size = io_uring_probe.sizeof() + MAX_OPS * io_uring_probe_op.sizeof();
            MemorySegment probe = arena.allocate(size, io_uring_probe.layout().byteAlignment());   // zeroed: the kernel wants it so
            IoUring.io_uring_register(ringFd, IORING_REGISTER_PROBE(), probe, MAX_OPS);
            int len = Byte.toUnsignedInt(io_uring_probe.ops_len(probe));
            BitSet supported = new BitSet(MAX_OPS);
            for (int i = 0; i < len && i < MAX_OPS; i++) {
                MemorySegment op = probe.asSlice(io_uring_probe.sizeof() + i * io_uring_probe_op.sizeof(), io_uring_probe_op.sizeof());
                if ((io_uring_probe_op.flags(op) & IO_URING_OP_SUPPORTED()) != 0) {
                    supported.set(Byte.toUnsignedInt(io_uring_probe_op.op(op)));
                }
            }
            return supported;
        }
    }
}
