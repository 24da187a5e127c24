package io.pollkit.bindings;

import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.UnionLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layouts that really differ between platforms, read from each platform's generated class. */
class GeneratedLayoutsTest {

    @Test
    void epollEventIsPacked12BytesOnX86_64And16OnAarch64() {
        GroupLayout x86 = linux_x86_64.struct("epoll_event");
        assertEquals(12, x86.byteSize());
        assertEquals(1, x86.byteAlignment(), "packed: __attribute__((packed)) on x86_64");
        assertEquals(4, x86.byteOffset(groupElement("data")));

        GroupLayout arm = linux_aarch64.struct("epoll_event");
        assertEquals(16, arm.byteSize());
        assertEquals(8, arm.byteAlignment());
        assertEquals(8, arm.byteOffset(groupElement("data")));
    }

    @Test
    void epollDataIsAUnionWhoseMembersThePackedStructAlignsTo1() {
        for (GroupLayout u : new GroupLayout[] {linux_x86_64.struct("epoll_data"), linux_aarch64.struct("epoll_data")}) {
            assertTrue(u instanceof UnionLayout, u.toString());
            assertEquals(8, u.byteSize());
            assertEquals(8, u.byteAlignment(), "on its own the union is 8-aligned");
            for (String m : new String[] {"ptr", "fd", "u32", "u64"}) assertEquals(0, u.byteOffset(groupElement(m)), m);
        }
        GroupLayout x86 = (GroupLayout) linux_x86_64.struct("epoll_event").select(groupElement("data"));
        assertTrue(x86 instanceof UnionLayout, x86.toString());
        assertEquals(1, x86.select(groupElement("u64")).byteAlignment(), "inside the packed epoll_event");
        GroupLayout arm = (GroupLayout) linux_aarch64.struct("epoll_event").select(groupElement("data"));
        assertEquals(8, arm.select(groupElement("u64")).byteAlignment());
    }

    @Test
    void keventIsTheMacosLibkqueueLayoutAndTheFreebsdOneIs64Bytes() {
        for (GroupLayout k : new GroupLayout[] {linux_x86_64.struct("kevent"), linux_aarch64.struct("kevent")}) {
            assertEquals(32, k.byteSize());
            assertEquals(8, k.byteOffset(groupElement("filter")));
            assertEquals(24, k.byteOffset(groupElement("udata")));
        }
        GroupLayout bsd = linux_x86_64.struct("kevent_freebsd");
        assertEquals(64, bsd.byteSize());
        assertEquals(32, bsd.byteOffset(groupElement("ext")));
        assertEquals("kqueue/darwin.h", linux_x86_64.source("sys_event_h"), "Linux has no <sys/event.h>");
    }

    @Test
    void errnoNamesPreferThePrimaryName() {
        assertEquals("EAGAIN", errno_h.name(errno_h.EWOULDBLOCK()));
        assertEquals("EADDRINUSE", errno_h.name(errno_h.EADDRINUSE()));
        long methods = java.util.Arrays.stream(errno_h.class.getMethods())
                .filter(m -> m.getName().matches("E[A-Z0-9]+") && m.getParameterCount() == 0).count();
        assertTrue(methods > 120, "every errno value, as a method: " + methods);
    }

    @Test
    void ioUringStructsHaveTheKernelAbiOnBothArchitectures() {
        // The io_uring ABI is the same on every 64-bit Linux: io_uring.h pads it explicitly (resv fields,
        // the packed buf_index union) so that no architecture differs.
        for (String t : new String[] {"linux_x86_64", "linux_aarch64"}) {
            java.util.function.Function<String, GroupLayout> s =
                    n -> t.equals("linux_x86_64") ? linux_x86_64.struct(n) : linux_aarch64.struct(n);
            assertEquals(64, s.apply("io_uring_sqe").byteSize(), t);
            assertEquals(32, s.apply("io_uring_sqe").byteOffset(groupElement("user_data")), t);
            assertEquals(40, s.apply("io_uring_sqe").byteOffset(groupElement("buf_index")), t);
            assertEquals(16, s.apply("io_uring_cqe").byteSize(), t);
            assertEquals(8, s.apply("io_uring_cqe").byteOffset(groupElement("res")), t);
            assertEquals(120, s.apply("io_uring_params").byteSize(), t);
            assertEquals(40, s.apply("io_uring_params").byteOffset(groupElement("sq_off")), t);
            assertEquals(80, s.apply("io_uring_params").byteOffset(groupElement("cq_off")), t);
            assertEquals(40 + 24, s.apply("io_uring_params").byteOffset(groupElement("sq_off"), groupElement("array")), t);
            assertEquals(80 + 20, s.apply("io_uring_params").byteOffset(groupElement("cq_off"), groupElement("cqes")), t);
        }
        assertEquals(425L, linux_x86_64.constant("__NR_io_uring_setup"), "x86_64 and the generic table agree from 425 on");
        assertEquals(425L, linux_aarch64.constant("__NR_io_uring_setup"));
        assertEquals(0, io_uring_h.IORING_OP_NOP(), "an enumeration constant, asked for by name");
    }

    @Test
    void platformsAreNamedOsDashArch() {
        assertEquals("linux-x86_64", Platform.detect("Linux", "amd64"));
        assertEquals("linux-aarch64", Platform.detect("Linux", "aarch64"));
        assertEquals("darwin-aarch64", Platform.detect("Mac OS X", "aarch64"));
        assertEquals("freebsd-x86_64", Platform.detect("FreeBSD", "amd64"));
        assertTrue(Platform.isSupported(), Platform.NAME);
        assertThrows(IllegalArgumentException.class, () -> linux_x86_64.constant("NO_SUCH_CONSTANT"));
    }
}
