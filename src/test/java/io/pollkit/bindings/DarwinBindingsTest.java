package io.pollkit.bindings;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.SequenceLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The macOS bindings, generated here from the macOS SDK headers zig carries (bindings/README.md): the
 * layouts where macOS really differs from Linux, and the hand-written kqueue/darwin.h (what Linux compiles
 * for kqueue) checked against the real {@code <sys/event.h>} answers.
 */
class DarwinBindingsTest {
    private static final List<String> DARWIN = List.of("darwin-aarch64", "darwin-x86_64");

    @Test
    void darwinTargetsAreSupported() {
        assertTrue(Platform.SUPPORTED.containsAll(DARWIN), Platform.SUPPORTED.toString());
        assertTrue(Platform.SUPPORTED.containsAll(List.of("linux-aarch64", "linux-x86_64")), Platform.SUPPORTED.toString());
    }

    @Test
    void macosLayoutsAreTheBsdOnes() {
        for (var t : List.<java.util.function.Function<String, GroupLayout>>of(darwin_aarch64::struct, darwin_x86_64::struct)) {
            GroupLayout in = t.apply("sockaddr_in");
            assertEquals(16, in.byteSize());
            assertEquals(1, in.byteOffset(groupElement("sin_family")), "after sa_len");
            assertEquals(1, in.select(groupElement("sin_family")).byteSize(), "sa_family_t is a byte on macOS");
            assertEquals(104, ((SequenceLayout) t.apply("sockaddr_un").select(groupElement("sun_path"))).elementCount());
            assertEquals(128, t.apply("fd_set").byteSize());
            assertEquals(4, t.apply("fd_set").select(groupElement("fds_bits")).byteAlignment(), "__int32_t fds_bits[32]");
            assertEquals(4, t.apply("timeval").select(groupElement("tv_usec")).byteSize(), "suseconds_t is an int");
            GroupLayout kev = t.apply("kevent");
            assertEquals(32, kev.byteSize());
            assertEquals(4, kev.byteAlignment(), "<sys/event.h> packs struct kevent to 4 (#pragma pack(4))");
            assertThrows(UnsupportedOperationException.class, () -> t.apply("epoll_event"), "no epoll on macOS");
        }
        assertEquals(35, darwin_aarch64.constant("EAGAIN"));
        assertEquals(128, darwin_x86_64.constant("SOMAXCONN"));
        assertEquals(-1, darwin_aarch64.constant("EVFILT_READ"));
        assertEquals("<sys/event.h>", darwin_aarch64.source("sys_event_h"));
        assertEquals("<sys/event.h>", darwin_x86_64.source("sys_event_h"));
    }

    @Test
    void linuxOnlyFunctionsHaveNoDescriptorOnMacos() {
        for (String f : List.of("accept4", "pipe2", "epoll_create1", "epoll_ctl", "epoll_wait", "eventfd", "gettid", "tgkill")) {
            assertNull(darwin_aarch64.function(f), f);
            assertNull(darwin_x86_64.function(f), f);
            assertTrue(linux_x86_64.function(f) != null, f);
        }
        for (String f : List.of("accept", "pipe", "poll", "kqueue", "kevent", "fcntl", "select")) {
            assertTrue(darwin_aarch64.function(f) != null, f);
        }
        assertEquals(4, darwin_aarch64.function("poll").argumentLayouts().get(1).byteSize(), "nfds_t is an unsigned int");
    }

    @Test
    void constantsLinuxLacksAreMarkedUndefinedHere() {
        assertFalse(Platform.defined("SO_NOSIGPIPE"), "macOS only");
        assertThrows(UnsupportedOperationException.class, sys_socket_h::SO_NOSIGPIPE);
        assertTrue(Platform.defined("SOCK_NONBLOCK"));
        assertEquals(0x1022, darwin_aarch64.constant("SO_NOSIGPIPE"));
        assertThrows(IllegalArgumentException.class, () -> darwin_aarch64.constant("SOCK_NONBLOCK"));
        assertThrows(IllegalArgumentException.class, () -> darwin_aarch64.constant("POLLRDHUP"));
    }

    /**
     * kqueue/darwin.h (compiled on Linux, for libkqueue and the test double) against the real header: every
     * constant it defines has the real value, and struct kevent the real size and field offsets and sizes.
     * Its alignment is 8, the real one 4 (pack(4)): stricter, so memory laid out for it fits the real one.
     */
    @Test
    void theHandWrittenDarwinHeaderAgreesWithTheRealSysEventH() throws IOException {
        Map<String, String> documented = kqueueAnswers("linux-x86_64");
        for (String t : DARWIN) {
            Map<String, String> real = kqueueAnswers(t);
            int checked = 0;
            for (var e : documented.entrySet()) {
                if (e.getKey().endsWith(" align")) continue;
                assertEquals(e.getValue(), real.get(e.getKey()), t + ": " + e.getKey() + " in kqueue/darwin.h");
                checked++;
            }
            assertTrue(checked >= 60, t + ": checked " + checked);
            assertEquals("4", real.get("struct kevent align"), t);
            assertEquals("8", documented.get("struct kevent align"));
        }
    }

    /** The kqueue answers of a target: "const NAME" / "struct kevent size" / "field kevent NAME offset" -> value. */
    private static Map<String, String> kqueueAnswers(String target) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String line : Files.readAllLines(Project.DIR.resolve(Path.of("bindings", "answers", target + ".txt")))) {
            String[] w = line.split(" ");
            if (w[0].equals("const") && w[1].equals("sys_event_h")) m.put("const " + w[2], w[3]);
            else if (w[0].equals("struct") && w[1].equals("kevent")) m.put("struct kevent " + w[2], w[3]);
            else if (w[0].equals("field") && w[1].equals("kevent")) m.put("field kevent " + w[2] + " " + w[4], w[5]);
        }
        return m;
    }
}
