package io.pollkit.sys;

import io.pollkit.bindings.iovec;
import io.pollkit.bindings.msghdr;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_DGRAM;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** readv/writev, sendmsg/recvmsg and sendto/recvfrom round trips; and the unsupported-platform message. */
class VectorAndMessageIoTest {

    private static MemorySegment iov(Arena arena, MemorySegment... buffers) {
        MemorySegment v = iovec.allocateArray(buffers.length, arena);
        for (int i = 0; i < buffers.length; i++) {
            v.set(iovec.iov_base$layout(), i * iovec.sizeof() + iovec.iov_base$offset(), buffers[i]);
            v.set(iovec.iov_len$layout(), i * iovec.sizeof() + iovec.iov_len$offset(), buffers[i].byteSize());
        }
        return v;
    }

    private static String text(MemorySegment s, long n) {
        return new String(s.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    @Test
    void writevGathersAndReadvScatters() throws Exception {
        int[] p = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom("head,").asSlice(0, 5), b = arena.allocateFrom("tail").asSlice(0, 4);
            assertEquals(9, Unistd.writev(p[0], iov(arena, a, b), 2));
            MemorySegment x = arena.allocate(3), y = arena.allocate(6);
            assertEquals(9, Unistd.readv(p[1], iov(arena, x, y), 2));
            assertEquals("hea", text(x, 3));
            assertEquals("d,tail", text(y, 6));
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
    }

    @Test
    void sendmsgAndRecvmsgCarryAnIovecArray() throws Exception {
        int[] p = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = msghdr.allocate(arena);
            msghdr.msg_iov(out, iov(arena, arena.allocateFrom("one ").asSlice(0, 4), arena.allocateFrom("two").asSlice(0, 3)));
            msghdr.msg_iovlen(out, 2);
            assertEquals(7, Sockets.sendmsg(p[0], out, 0));
            MemorySegment buf = arena.allocate(16), in = msghdr.allocate(arena);
            msghdr.msg_iov(in, iov(arena, buf));
            msghdr.msg_iovlen(in, 1);
            assertEquals(7, Sockets.recvmsg(p[1], in, 0));
            assertEquals("one two", text(buf, 7));
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
    }

    @Test
    void udpSendtoAndRecvfromReportThePeer() throws Exception {
        int server = Sockets.socket(AF_INET(), SOCK_DGRAM() | Sockets.CLOEXEC, 0), client = Sockets.socket(AF_INET(), SOCK_DGRAM() | Sockets.CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Sockets.bind(server, Loopback.any4());
            Sockets.bind(client, Loopback.any4());
            MemorySegment to = SockAddr.allocate(Sockets.getsockname(server), arena);
            MemorySegment msg = arena.allocateFrom("datagram").asSlice(0, 8);
            assertEquals(8, Sockets.sendto(client, msg, 8, 0, to, (int) to.byteSize()));
            MemorySegment buf = arena.allocate(64), from = arena.allocate(SockAddr.STORAGE_SIZE);
            MemorySegment fromLen = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE);
            assertEquals(8, Sockets.recvfrom(server, buf, 64, 0, from, fromLen));
            assertEquals("datagram", text(buf, 8));
            InetSocketAddress peer = (InetSocketAddress) SockAddr.read(from, fromLen.get(JAVA_INT, 0));
            assertEquals(Sockets.getsockname(client), peer);
        } finally {
            Unistd.close(server);
            Unistd.close(client);
        }
    }

    @Test
    void anUnsupportedPlatformFailsNamingItAndMakeBindings() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        String dir = System.getProperty("pollkit.project.dir", ".");
        String classes = dir + "/target/classes:" + dir + "/target/test-classes";
        Process p = new ProcessBuilder(List.of(java, "-Dos.name=Plan9", "--enable-native-access=ALL-UNNAMED", "-cp", classes,
                "-XX:TieredStopAtLevel=1", UnsupportedPlatformProbe.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(out.contains("pollkit has no bindings for plan9-") && out.contains("make bindings"), out);
    }
}
