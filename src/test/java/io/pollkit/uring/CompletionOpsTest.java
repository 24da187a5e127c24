package io.pollkit.uring;

import io.pollkit.bindings.__kernel_timespec;
import io.pollkit.bindings.io_uring_buf;
import io.pollkit.bindings.io_uring_buf_ring;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.pollkit.bindings.errno_h.ECANCELED;
import static io.pollkit.bindings.errno_h.ENOBUFS;
import static io.pollkit.bindings.errno_h.ETIME;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;
import static io.pollkit.bindings.sys_socket_h.AF_INET;
import static io.pollkit.bindings.sys_socket_h.SOCK_CLOEXEC;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completion model's operations against the kernel, over loopback TCP: multishot accept, multishot recv into a
 * provided buffer ring (its exhaustion and re-arming), send, a timeout and a cancel.
 */
@Timeout(20)
class CompletionOpsTest {
    private Ring ring;
    private int listener = -1;
    private final List<Socket> clients = new ArrayList<>();
    private final List<long[]> seen = new ArrayList<>();

    @BeforeEach
    void needsIoUring(TestInfo test) {
        String reason = Availability.unavailableReason();
        if (reason != null) Skip.because(test, reason);
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with a ring and a listener, on the test's thread (the ring's owner: not @BeforeEach's). */
    private void withRing(Body body) throws Exception {
        ring = Ring.open(64);
        try {
            listener = Sockets.socket(AF_INET(), SOCK_STREAM() | Sockets.CLOEXEC, 0);
            Sockets.bind(listener, new InetSocketAddress("127.0.0.1", 0));
            Sockets.listen(listener, 16);
            body.run();
        } finally {
            for (Socket s : clients) s.close();
            ring.close();
            Unistd.closeQuietly(listener);
        }
    }

    private Socket connect() throws Exception {
        Socket s = new Socket();
        s.connect(Sockets.getsockname(listener));
        clients.add(s);
        return s;
    }

    /** Submits what is prepared and collects completions until {@code n} have come in all. */
    private void awaitCompletions(int n) throws ErrnoException {
        ring.submit();
        while (seen.size() < n) {
            ring.submitAndWait(1);
            ring.reap((u, r, f) -> seen.add(new long[] {u, r, f}));
        }
    }

    private int acceptOne() throws Exception {
        assertTrue(ring.prepareAcceptMultishot(listener, SOCK_CLOEXEC(), 1));
        connect();
        awaitCompletions(1);
        int fd = (int) seen.get(0)[1];
        assertTrue(fd >= 0, "accepted fd " + fd);
        seen.clear();
        return fd;
    }

    @Test
    void oneMultishotAcceptTakesEveryConnectionAndStaysArmed() throws Exception {
        withRing(() -> {
            assertTrue(ring.prepareAcceptMultishot(listener, SOCK_CLOEXEC(), 7));
            for (int i = 0; i < 3; i++) connect();
            awaitCompletions(3);
            for (long[] c : seen) {
                assertEquals(7, c[0]);
                assertTrue(c[1] >= 0, "an fd, not -errno: " + c[1]);
                assertTrue((c[2] & IORING_CQE_F_MORE()) != 0, "still armed");
                Unistd.close((int) c[1]);
            }
        });
    }

    @Test
    void theTailOfTheBufferRingIsTheFirstEntrysReservedField() {
        // The header's union: the program's tail overlays bufs[0].resv, which the kernel never reads.
        assertEquals(io_uring_buf.resv$offset(), io_uring_buf_ring.tail$offset());
        assertEquals(0, io_uring_buf_ring.resv1$offset(), "the entries start with the ring");
    }

    @Test
    void multishotRecvFillsProvidedBuffersAndEndsWithEnobufsWhenTheyRunOut() throws Exception {
        withRing(() -> {
            int fd = acceptOne();
            try (BufferRing buffers = BufferRing.register(ring, 3, 2, 4)) {
                assertTrue(ring.prepareRecvMultishot(fd, buffers.group(), 9));
                OutputStreamHolder client = new OutputStreamHolder(clients.get(0));
                client.send("abcd");
                awaitCompletions(1);
                client.send("efgh");
                awaitCompletions(2);
                client.send("ijkl");      // both buffers are out: this one finds none
                awaitCompletions(3);
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                for (int i = 0; i < 2; i++) {
                    long[] c = seen.get(i);
                    assertEquals(4, c[1]);
                    assertTrue(BufferRing.hasBuffer((int) c[2]));
                    assertTrue((c[2] & IORING_CQE_F_MORE()) != 0);
                    got.writeBytes(buffers.buffer(BufferRing.bufferId((int) c[2])).asSlice(0, c[1]).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                    buffers.recycle(BufferRing.bufferId((int) c[2]));
                }
                assertEquals(-ENOBUFS(), seen.get(2)[1], "no buffer left");
                assertFalse((seen.get(2)[2] & IORING_CQE_F_MORE()) != 0, "the recv is disarmed");
                buffers.publish();
                seen.clear();
                assertTrue(ring.prepareRecvMultishot(fd, buffers.group(), 9));   // re-armed: the bytes were kept
                awaitCompletions(1);
                long[] c = seen.get(0);
                got.writeBytes(buffers.buffer(BufferRing.bufferId((int) c[2])).asSlice(0, c[1]).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                assertEquals("abcdefghijkl", got.toString(StandardCharsets.US_ASCII));
                clients.get(0).shutdownOutput();
                seen.clear();
                buffers.recycle(BufferRing.bufferId((int) c[2]));
                buffers.publish();
                awaitCompletions(1);
                assertEquals(0, seen.get(0)[1], "the peer's end of stream");
            } finally {
                Unistd.close(fd);
            }
        });
    }

    @Test
    void aSendArrivesWhole() throws Exception {
        withRing(() -> {
            int fd = acceptOne();
            try (Arena arena = Arena.ofConfined()) {
                byte[] bytes = "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                MemorySegment data = arena.allocate(bytes.length + 4).copyFrom(MemorySegment.ofArray(bytes));
                assertTrue(ring.prepareSend(fd, data, 0, bytes.length, Sockets.NOSIGNAL, 5));
                awaitCompletions(1);
                assertEquals(bytes.length, seen.get(0)[1]);
                InputStream in = clients.get(0).getInputStream();
                assertArrayEquals(bytes, in.readNBytes(bytes.length));
            } finally {
                Unistd.close(fd);
            }
        });
    }

    @Test
    void aTimeoutExpiresWithEtimeAfterItsTime() throws Exception {
        withRing(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ts = arena.allocate(__kernel_timespec.layout());
                __kernel_timespec.tv_sec(ts, 0);
                __kernel_timespec.tv_nsec(ts, 50_000_000);
                long start = System.nanoTime();
                assertTrue(ring.prepareTimeout(ts, 0, 0, 11));
                awaitCompletions(1);
                assertTrue(System.nanoTime() - start >= 50_000_000, "not before its time");
                assertEquals(11, seen.get(0)[0]);
                assertEquals(-ETIME(), seen.get(0)[1]);
            }
        });
    }

    @Test
    void aCancelEndsAMultishotRecv() throws Exception {
        withRing(() -> {
            int fd = acceptOne();
            try (BufferRing buffers = BufferRing.register(ring, 1, 4, 64)) {
                assertTrue(ring.prepareRecvMultishot(fd, buffers.group(), 21));
                ring.submit();
                assertTrue(ring.prepareCancel(21, 22));
                awaitCompletions(2);
                for (long[] c : seen) {
                    if (c[0] == 21) assertEquals(-ECANCELED(), c[1]);
                    else assertEquals(0, c[1], "the cancel found it");
                }
            } finally {
                Unistd.close(fd);
            }
        });
    }

    private record OutputStreamHolder(Socket s) {
        void send(String text) throws IOException {
            s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
    }
}
