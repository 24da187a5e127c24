package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writes of one {@link Connection.Handler#received} callback: the first goes out at once, the later ones
 * together when the callback returns (so K pipelined answers cost two sends, not K), all in order, whether or not
 * the socket takes them whole. Over a real socketpair; runs over FFM and again over the JNI twin.
 */
class ConnectionWritesTest {
    @Test
    void laterWritesOfACallbackGoOutWhenItReturns() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (EventLoop loop = new EventLoop(Backend.defaultBackend(), new PrintStream(OutputStream.nullOutputStream()));
             Arena arena = Arena.ofConfined()) {
            MemorySegment first = arena.allocateFrom("first;"), second = arena.allocateFrom("second;");
            MemorySegment peerBuf = arena.allocate(64);
            List<String> seenInCallback = new ArrayList<>();
            new Connection(loop, pair[0], 1, arena.allocate(64), 1 << 16, (c, data, n) -> {
                c.write(first, 0, 6);
                c.write(second, 0, 7);
                c.write(first, 0, 6);
                long got = Unistd.read(pair[1], peerBuf, peerBuf.byteSize());
                seenInCallback.add(got <= 0 ? "" : new String(peerBuf.asSlice(0, got).toArray(JAVA_BYTE)));
            });
            Unistd.write(pair[1], arena.allocateFrom("go"), 2);
            for (int i = 0; i < 100 && seenInCallback.isEmpty(); i++) loop.runOnce(1000);
            assertEquals(List.of("first;"), seenInCallback, "during the callback the peer has the first write only");
            long got = Unistd.read(pair[1], peerBuf, peerBuf.byteSize());
            assertEquals("second;first;", got <= 0 ? "" : new String(peerBuf.asSlice(0, got).toArray(JAVA_BYTE)),
                    "the rest, in one piece, once the callback returned");
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
    }

    @Test
    void writesLargerThanTheSocketTakesArriveWholeAndInOrder() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (EventLoop loop = new EventLoop(Backend.defaultBackend(), new PrintStream(OutputStream.nullOutputStream()));
             Arena arena = Arena.ofConfined()) {
            byte[] big = new byte[1 << 20];   // past any socketpair's buffer: part of it waits for writable
            for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31 + 7);
            MemorySegment bigSegment = arena.allocate(big.length).copyFrom(MemorySegment.ofArray(big));
            MemorySegment head = arena.allocateFrom("head"), tail = arena.allocateFrom("tail");
            int[] callbacks = {0};
            new Connection(loop, pair[0], 1, arena.allocate(64), 4 << 20, (c, data, n) -> {
                callbacks[0]++;
                c.write(head, 0, 4);
                c.write(bigSegment);
                c.write(tail, 0, 4);
            });
            Unistd.write(pair[1], arena.allocateFrom("go"), 2);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            MemorySegment in = arena.allocate(65536);
            long expected = 4 + big.length + 4;
            for (int i = 0; i < 100_000 && received.size() < expected; i++) {
                loop.runOnce(0);
                for (long n; (n = Unistd.read(pair[1], in, in.byteSize())) > 0; ) received.write(in.asSlice(0, n).toArray(JAVA_BYTE), 0, (int) n);
            }
            byte[] all = received.toByteArray();
            assertEquals(1, callbacks[0]);
            assertEquals(expected, all.length);
            assertEquals("head", new String(all, 0, 4));
            assertArrayEquals(big, Arrays.copyOfRange(all, 4, 4 + big.length));
            assertEquals("tail", new String(all, 4 + big.length, 4));
            assertTrue(Unistd.read(pair[1], in, in.byteSize()) == Results.WOULD_BLOCK, "nothing more");
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
    }

    @Test
    void aCallbackMayWriteMoreThanTheQueueCapWhenTheSocketTakesIt() throws Exception {
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (EventLoop loop = new EventLoop(Backend.defaultBackend(), new PrintStream(OutputStream.nullOutputStream()));
             Arena arena = Arena.ofConfined()) {
            MemorySegment piece = arena.allocate(100).fill((byte) 'x');
            List<String> closed = new ArrayList<>();
            int[] callbacks = {0};
            // 10,000 bytes in 100 writes against a 4096-byte cap: the socket takes them all, so nothing is over the cap.
            new Connection(loop, pair[0], 1, arena.allocate(64), 4096, new Connection.Handler() {
                @Override
                public void received(Connection c, MemorySegment data, long n) throws java.io.IOException {
                    callbacks[0]++;
                    for (int i = 0; i < 100; i++) c.write(piece);
                }

                @Override
                public void closed(Connection c, String reason) {
                    closed.add(reason);
                }
            });
            Unistd.write(pair[1], arena.allocateFrom("go"), 2);
            for (int i = 0; i < 100 && callbacks[0] == 0; i++) loop.runOnce(1000);
            assertEquals(List.of(), closed);
            MemorySegment in = arena.allocate(65536);
            long total = 0;
            for (long n; (n = Unistd.read(pair[1], in, in.byteSize())) > 0; ) total += n;
            assertEquals(10_000, total);
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
    }
}
