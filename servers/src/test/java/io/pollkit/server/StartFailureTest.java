package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.server.raw.RawTick;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Rlimit;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.pollkit.bindings.fcntl_h.F_GETFD;
import static io.pollkit.bindings.sys_resource_h.RLIMIT_NOFILE;
import static io.pollkit.server.FdLeakTest.openFds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A server that fails to start closes what it had opened (poller, waker, listener), counted in /proc/self/fd:
 * with RLIMIT_NOFILE lowered so that its k-th fd is refused (EMFILE), for every k until it starts; and a tick
 * server whose timer is refused after the listener was open.
 */
@Timeout(60)
class StartFailureTest {
    private static ServerOptions options(Backend b) {
        LineCapture sink = new LineCapture("start-failure");
        return ServerOptions.defaults().withBackend(b).withPort(0).withInterval(100).withStreams(sink.printStream(), sink.printStream());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aTickServerWhoseTimerIsRefusedClosesItsListenerAndPoller(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        new TickServer(options(b)).close();   // classes loaded: the counts below are only the server's
        long before = openFds();
        assertThrows(IllegalArgumentException.class, () -> new TickServer(options(b).withInterval(0)));
        assertEquals(before, openFds(), "open fds after the tick server failed to start");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aLoopServerThatCannotOpenAllItsFdsClosesThoseItHad(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        for (ServerKind kind : ServerKind.values()) {
            sweep(kind + "/" + b.id(), () -> {
                kind.create(options(b)).close();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aRawTickThatCannotOpenAllItsFdsClosesThoseItHad(Backend b, TestInfo info) throws Exception {
        Backends.assumeAvailable(b, info);
        sweep("raw-tick/" + b.id(), () -> {
            RawTick.run(options(b), new AtomicBoolean(true));   // stopped already: opens everything, closes it, returns
            return null;
        });
    }

    /** Runs {@code start} with 0, 1, 2, ... fds left until it succeeds; each failure is EMFILE and leaves no fd open. */
    static List<String> sweep(String what, Callable<Void> start) throws Exception {
        start.call();   // warm: classes loaded and linked
        long before = openFds();
        List<String> failures = new ArrayList<>();
        for (int k = 0; ; k++) {
            if (k > 32) fail(what + " still fails with " + k + " fds free");
            try {
                withFdsLeft(k, start);
            } catch (IOException e) {
                assertTrue(e.getMessage().contains("EMFILE"), what + " with " + k + " fds free: " + e.getMessage());
                assertEquals(before, openFds(), what + ": open fds after it failed with " + k + " fds free");
                failures.add(e.getMessage());
                continue;
            }
            break;
        }
        assertTrue(failures.size() >= 1, what + " failed only " + failures.size() + " times");
        assertEquals(before, openFds(), what + ": open fds at the end");
        return failures;
    }

    /** Calls {@code body} with the soft RLIMIT_NOFILE lowered so that only the next {@code k} fds can be opened. */
    private static <T> T withFdsLeft(int k, Callable<T> body) throws Exception {
        int limit = 0;
        for (int free = 0; ; limit++) {
            if (!isOpen(limit) && free++ == k) break;
        }
        Rlimit.Limit old = Rlimit.getrlimit(RLIMIT_NOFILE());
        Rlimit.setrlimit(RLIMIT_NOFILE(), new Rlimit.Limit(limit, old.max()));
        try {
            return body.call();
        } finally {
            Rlimit.setrlimit(RLIMIT_NOFILE(), old);
        }
    }

    private static boolean isOpen(int fd) {
        try {
            Fcntl.fcntl(fd, F_GETFD());
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }
}
