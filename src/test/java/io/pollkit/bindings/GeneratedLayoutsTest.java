package io.pollkit.bindings;

import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;

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
        assertEquals("EAGAIN", errno_h.name(errno_h.EWOULDBLOCK));
        assertEquals("EADDRINUSE", errno_h.name(errno_h.EADDRINUSE));
        assertTrue(errno_h.class.getFields().length > 120, "every errno value");
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
