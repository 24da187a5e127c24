package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.testing.Skip;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.pollkit.bindings.errno_h.*;
import static io.pollkit.bindings.sys_socket_h.SHUT_RD;
import static io.pollkit.loop.AcceptError.CONNECTION_FAILED;
import static io.pollkit.loop.AcceptError.LISTENER_BROKEN;
import static io.pollkit.loop.AcceptError.OUT_OF_RESOURCES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The accept errors of accept(2) and what the {@link Acceptor} does with each. The faults of a new connection
 * are injected with strace in the servers' AcceptFaultTest; a broken listener is made here for real: shutdown(2)
 * of a listening socket makes Linux's accept fail with EINVAL and wakes the listener's waiters.
 */
@Timeout(60)
class AcceptorFailureTest {
    @Test
    void errnosAreClassifiedAsAccept2Says() {
        Map<Integer, AcceptError> expected = Map.ofEntries(
                Map.entry(ECONNABORTED(), CONNECTION_FAILED), Map.entry(EPROTO(), CONNECTION_FAILED),
                Map.entry(ENOPROTOOPT(), CONNECTION_FAILED), Map.entry(ENETDOWN(), CONNECTION_FAILED),
                Map.entry(EHOSTDOWN(), CONNECTION_FAILED), Map.entry(ENONET(), CONNECTION_FAILED),
                Map.entry(EHOSTUNREACH(), CONNECTION_FAILED), Map.entry(EOPNOTSUPP(), CONNECTION_FAILED),
                Map.entry(ENETUNREACH(), CONNECTION_FAILED), Map.entry(EPERM(), CONNECTION_FAILED),
                Map.entry(ETIMEDOUT(), CONNECTION_FAILED),
                Map.entry(EMFILE(), OUT_OF_RESOURCES), Map.entry(ENFILE(), OUT_OF_RESOURCES),
                Map.entry(ENOBUFS(), OUT_OF_RESOURCES), Map.entry(ENOMEM(), OUT_OF_RESOURCES),
                Map.entry(EBADF(), LISTENER_BROKEN), Map.entry(EINVAL(), LISTENER_BROKEN),
                Map.entry(ENOTSOCK(), LISTENER_BROKEN), Map.entry(EFAULT(), LISTENER_BROKEN),
                // not an accept error at all: retried after a pause, neither spun on nor fatal
                Map.entry(EXDEV(), OUT_OF_RESOURCES));
        expected.forEach((errno, kind) -> assertEquals(kind, AcceptError.of(errno), "errno " + errno));
    }

    /** The owner hears of a broken listener once, with the call and errno; the listener is closed; the loop goes on. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aBrokenListenerIsClosedAndItsOwnerTold(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        AtomicReference<IOException> failure = new AtomicReference<>();
        int[] calls = {0};
        try (EventLoop loop = new EventLoop(backend, new PrintStream(log, true, StandardCharsets.UTF_8))) {
            Acceptor a = Acceptor.listen(loop, "127.0.0.1", 0, Unistd::closeQuietly, e -> {
                calls[0]++;
                failure.set(e);
            }, new PrintStream(log, true, StandardCharsets.UTF_8));
            int fd = a.fd();
            Sockets.shutdown(fd, SHUT_RD());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (failure.get() == null && System.nanoTime() < deadline) loop.runOnce(100);
            assertNotNull(failure.get(), "the owner was not told; log:\n" + log);
            assertTrue(failure.get().getMessage().matches("accept4\\(fd=" + fd + "\\): EINVAL \\(.*\\); the listening socket cannot "
                    + "accept connections any more"), failure.get().getMessage());
            assertFalse(loop.owns(fd), "the broken listener is closed");
            for (int i = 0; i < 3; i++) loop.runOnce(0);
            assertEquals(1, calls[0], "told once");
            assertEquals("", log.toString(StandardCharsets.UTF_8), "the owner reports it, the loop logs nothing of its own");
        }
    }

    /** Without an owner's callback, a broken listener is logged and the loop stops: run() returns. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void withoutACallbackABrokenListenerStopsTheLoop(Backend backend, TestInfo test) throws Exception {
        Skip.unlessAvailable(test, backend);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (EventLoop loop = new EventLoop(backend, new PrintStream(log, true, StandardCharsets.UTF_8))) {
            Acceptor a = Acceptor.listen(loop, "127.0.0.1", 0, Unistd::closeQuietly, new PrintStream(log, true, StandardCharsets.UTF_8));
            loop.schedule(0, () -> {
                try {
                    Sockets.shutdown(a.fd(), SHUT_RD());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    loop.run();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            t.join(TimeUnit.SECONDS.toMillis(10));
            boolean ended = !t.isAlive();
            if (!ended) {
                loop.stop();
                t.join();
            }
            assertTrue(ended, "run() went on after the listener broke; log:\n" + log);
            assertTrue(log.toString(StandardCharsets.UTF_8).matches(
                    "accept4\\(fd=\\d+\\): EINVAL \\(.*\\); the listening socket cannot accept connections any more; stopping the loop\\R"),
                    log.toString(StandardCharsets.UTF_8));
        }
    }
}
