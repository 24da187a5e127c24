package io.pollkit.bindings;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pollkit.bindings.fcntl_h.FD_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.fcntl_h.F_SETFD;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated classes have jextract's (JDK 22+) shape, so that real jextract output could replace
 * them without touching callers: each accessor form is exercised on real memory and real calls.
 */
class JextractShapeTest {

    @Test
    void constantsAreMethodsBackedByPrivateFields() throws Exception {
        Method m = sys_epoll_h.class.getMethod("EPOLLIN");
        assertTrue(Modifier.isStatic(m.getModifiers()) && m.getReturnType() == int.class);
        assertTrue(Modifier.isPrivate(sys_epoll_h.class.getDeclaredField("EPOLLIN").getModifiers()));
        assertEquals(9, sys_epoll_h.class.getFields().length, "public fields: the 9 builtin C_* layouts only");
        assertEquals(ValueLayout.JAVA_INT, sys_epoll_h.C_INT);
        assertEquals(ValueLayout.JAVA_LONG, sys_epoll_h.C_LONG, "LP64");
    }

    @Test
    void structAccessorsGetSetSliceAllocateAndReinterpret() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = pollfd.allocateArray(3, arena);
            assertEquals(3 * pollfd.sizeof(), fds.byteSize());
            MemorySegment second = pollfd.asSlice(fds, 1);
            assertEquals(fds.address() + pollfd.sizeof(), second.address());
            pollfd.fd(second, 42);
            pollfd.events(second, (short) 7);
            assertEquals(42, pollfd.fd(second));
            assertEquals(42, fds.get(pollfd.fd$layout(), 1 * pollfd.sizeof() + pollfd.fd$offset()), "the same int, unsliced");
            assertEquals(7, fds.get(pollfd.events$layout(), pollfd.sizeof() + pollfd.events$offset()));
            assertEquals(pollfd.layout().byteOffset(groupElement("revents")), pollfd.revents$offset());

            AtomicInteger cleaned = new AtomicInteger();
            try (Arena inner = Arena.ofConfined()) {
                MemorySegment one = pollfd.reinterpret(MemorySegment.ofAddress(fds.address()), inner, s -> cleaned.incrementAndGet());
                assertEquals(pollfd.sizeof(), one.byteSize());
                assertEquals(3 * pollfd.sizeof(), pollfd.reinterpret(fds, 3, inner, null).byteSize());
            }
            assertEquals(1, cleaned.get(), "the cleanup runs when the arena closes");
        }
    }

    @Test
    void arrayFieldsHaveDimensionsAndIndexedAccessors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = fd_set.allocate(arena);
            long words = fd_set.fds_bits$dimensions()[0];
            assertEquals(fd_set.fds_bits$layout().elementCount(), words);
            assertEquals(sys_select_h.FD_SETSIZE(), words * sys_select_h.NFDBITS());
            fd_set.fds_bits(set, words - 1, -1L);
            assertEquals(-1L, fd_set.fds_bits(set, words - 1));
            assertEquals(-1L, fd_set.fds_bits(set).getAtIndex(ValueLayout.JAVA_LONG, words - 1), "the slice is the struct's memory");
            assertThrows(IndexOutOfBoundsException.class, () -> fd_set.fds_bits(set, words));

            MemorySegment un = sockaddr_un.allocate(arena);
            sockaddr_un.sun_path(un, 0, (byte) 'p');
            assertEquals('p', sockaddr_un.sun_path(un).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(sockaddr_un.sun_path$layout().byteSize(), sockaddr_un.sun_path$dimensions()[0]);
            // jextract's array setter copies the whole field: the value must be as long as the array.
            assertThrows(IndexOutOfBoundsException.class, () -> sockaddr_un.sun_path(un, arena.allocateFrom("/tmp/x")));
            MemorySegment path = arena.allocate(sockaddr_un.sun_path$layout());
            path.setString(0, "/tmp/x");
            sockaddr_un.sun_path(un, path);
            assertEquals("/tmp/x", sockaddr_un.sun_path(un).getString(0));
        }
    }

    @Test
    void theNestedUnionIsASliceAndItsU64IsReadThroughTheStructsAlignment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(2 * epoll_event.sizeof() + 8, 8);   // 8-aligned base
            MemorySegment ev = epoll_event.asSlice(block, 0);
            MemorySegment data = epoll_event.data(ev);
            assertEquals(ev.address() + epoll_event.data$offset(), data.address());
            assertEquals(epoll_data.sizeof(), data.byteSize());
            // What callers do (EpollPoller): the u64 member as the struct aligns it, read without a slice.
            ValueLayout.OfLong u64 = (ValueLayout.OfLong) epoll_event.data$layout().select(groupElement("u64"));
            ev.set(u64, epoll_event.data$offset() + epoll_data.u64$offset(), 0xC0FFEE_0000_0001L);
            assertEquals(0x0000_0001, epoll_data.fd(data), "fd overlays the low half (little endian)");
            if (epoll_event.data$offset() % epoll_data.u64$layout().byteAlignment() != 0) {
                // x86_64: epoll_event is packed, data sits at offset 4; jextract's union class (8-aligned on
                // its own) refuses the misaligned read, which is why callers select u64 from data$layout().
                assertThrows(IllegalArgumentException.class, () -> epoll_data.u64(data));
            } else {
                assertEquals(0xC0FFEE_0000_0001L, epoll_data.u64(data));
            }
            MemorySegment other = epoll_data.allocate(arena);
            epoll_data.u64(other, 5L);
            epoll_event.data(ev, other);
            assertEquals(5L, ev.get(u64, epoll_event.data$offset()), "the setter copies the union in");
        }
    }

    @Test
    void functionsHaveDescriptorHandleAddressAndAPlainWrapper() throws Throwable {
        assertEquals(ProcessHandle.current().pid(), unistd_h.getpid());
        assertEquals(unistd_h.getpid$descriptor().toMethodType(), unistd_h.getpid$handle().type());
        assertEquals(Linker.nativeLinker().defaultLookup().find("getpid").orElseThrow(), unistd_h.getpid$address());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            assertEquals(0, sys_socket_h.socketpair(AF_UNIX(), SOCK_STREAM(), 0, pair));
            int fd = pair.getAtIndex(JAVA_INT, 0);
            // The variadic fcntl is an invoker, specialised for the layouts of its variadic arguments.
            fcntl_h.fcntl setfd = fcntl_h.fcntl.makeInvoker(fcntl_h.C_INT);
            assertEquals(0, setfd.apply(fd, F_SETFD(), FD_CLOEXEC()));
            assertEquals(FD_CLOEXEC(), fcntl_h.fcntl.makeInvoker().apply(fd, F_GETFD()) & FD_CLOEXEC());
            assertEquals(3, setfd.descriptor().argumentLayouts().size());
            assertEquals(0, unistd_h.close(fd));
            assertEquals(0, unistd_h.close(pair.getAtIndex(JAVA_INT, 1)));
            assertEquals(-1, unistd_h.close(fd), "closed twice");
        }
    }

    @Test
    void aMissingSymbolFailsOnUseNotOnClassInitialisation() {
        boolean linux = Platform.NAME.startsWith("linux");
        boolean kqueueLoaded = SymbolLookup.loaderLookup().or(Linker.nativeLinker().defaultLookup()).find("kqueue").isPresent();
        assertTrue(sys_event_h.EV_ADD() != 0, "the constants of a header whose functions are missing still work");
        assertEquals(JAVA_INT, sys_event_h.kqueue$descriptor().returnLayout().orElseThrow(), "and so do the descriptors");
        if (kqueueLoaded) {
            assertFalse(sys_event_h.kqueue$address().equals(MemorySegment.NULL), "kqueue is in the libraries loaded here");
            return;
        }
        assertTrue(linux, "only Linux lacks kqueue among the supported platforms");
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, sys_event_h::kqueue$address);
        assertTrue(e.getMessage().contains("kqueue"), e.getMessage());
        assertThrows(UnsatisfiedLinkError.class, sys_event_h::kqueue);
        assertThrows(UnsatisfiedLinkError.class, sys_event_h::kqueue$handle, "every use, not only the first");
    }
}
