package io.pollkit.poller;

import io.pollkit.poller.PollerTesting.Expect;
import io.pollkit.poller.PollerTesting.Fds;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Fcntl;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.Map;

import static io.pollkit.bindings.errno_h.EBADF;
import static io.pollkit.bindings.fcntl_h.F_DUPFD_CLOEXEC;
import static io.pollkit.poller.Poller.ERROR;
import static io.pollkit.poller.Poller.READ;
import static io.pollkit.poller.Poller.READABLE;
import static io.pollkit.poller.PollerTesting.expectEvents;
import static io.pollkit.poller.PollerTesting.expectNoEvents;
import static io.pollkit.poller.PollerTesting.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What each backend does when the contract's "close an fd only after unregistering it" is broken; none
 * of it is promised, all of it is pinned down here so that a change shows. select fails the whole poll
 * with EBADF; poll keeps watching the number and reports POLLNVAL as ERROR on every poll; epoll and
 * kqueue forget the fd by themselves.
 */
class ClosedWhileRegisteredTest {

    @Test
    void pollReportsAnFdClosedWhileRegisteredAsError(TestInfo test) throws Exception {
        try (Poller p = open(test, Backend.POLL); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            fds.close(pair[0]);
            for (int i = 0; i < 3; i++) {   // level-triggered: until the caller unregisters
                Map<Long, Integer> seen = expectEvents(p, events, Expect.all(1, ERROR));
                assertEquals(0, seen.get(1L) & READABLE, "POLLNVAL alone: " + Events.describe(seen.get(1L)));
            }
            p.unregister(pair[0]);   // poll's table is the backend's own: the number unregisters fine
            expectNoEvents(p, events, 0);
        }
    }

    @Test
    void epollForgetsAnFdClosedWhileRegistered(TestInfo test) throws Exception {
        try (Poller p = open(test, Backend.EPOLL); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            PollerTesting.write(pair[1], "x");
            fds.close(pair[0]);
            expectNoEvents(p, events, 50);   // the last reference is gone: the kernel removed it
            ErrnoException e = assertThrows(ErrnoException.class, () -> p.unregister(pair[0]));
            assertEquals(EBADF(), e.errno(), e.getMessage());
        }
    }

    @Test
    void selectFailsEveryPollWithEbadf(TestInfo test) throws Exception {
        try (Poller p = open(test, Backend.SELECT); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            fds.close(pair[0]);
            for (int i = 0; i < 2; i++) {
                ErrnoException e = assertThrows(ErrnoException.class, () -> p.poll(events, 0));
                assertEquals(EBADF(), e.errno(), e.getMessage());
            }
            p.unregister(pair[0]);   // the way out
            expectNoEvents(p, events, 0);
        }
    }

    @Test
    void kqueueForgetsAnFdClosedWhileRegistered(TestInfo test) throws Exception {
        try (Poller p = open(test, Backend.KQUEUE); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            PollerTesting.write(pair[1], "x");
            fds.close(pair[0]);
            expectNoEvents(p, events, 50);   // close(2) removed the knotes
            ErrnoException e = assertThrows(ErrnoException.class, () -> p.unregister(pair[0]));
            assertEquals(EBADF(), e.errno(), e.getMessage());
        }
    }

    /**
     * kqueue removes the knotes at close(2) even while the file stays open under another fd, where epoll
     * keeps reporting the closed number (the Linux double rebuilds its epoll instance to follow kqueue).
     */
    @Test
    void kqueueForgetsAnFdClosedWhileItsFileLivesOn(TestInfo test) throws Exception {
        try (Poller p = open(test, Backend.KQUEUE); Fds fds = new Fds()) {
            int[] pair = fds.pair();
            Events events = new Events(8);
            p.register(pair[0], READ, 1);
            int copy = Fcntl.fcntl(pair[0], F_DUPFD_CLOEXEC(), 0);
            try {
                PollerTesting.write(pair[1], "x");
                fds.close(pair[0]);
                expectNoEvents(p, events, 50);
                PollerTesting.write(pair[1], "y");   // news on the file still open as copy: still nothing
                expectNoEvents(p, events, 50);
            } finally {
                Unistd.closeQuietly(copy);
            }
        }
    }
}
