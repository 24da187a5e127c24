package io.pollkit.bench;

import io.pollkit.bindings.epoll_event;
import io.pollkit.bindings.kevent;
import io.pollkit.bindings.pollfd;
import io.pollkit.poller.Backend;
import io.pollkit.sys.Epoll;
import io.pollkit.sys.FdSet;
import io.pollkit.sys.Kqueue;
import io.pollkit.sys.Poll;
import io.pollkit.sys.Results;
import io.pollkit.sys.Select;
import io.pollkit.sys.Unistd;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_event_h.EV_ERROR;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * W1 dispatch written directly against io.pollkit.sys (impl=ffm, or impl=jni in the JNI run): one
 * benchmark op is one round of {@code native/baselines/w1-dispatch.c}, done the same way. Write 1 byte
 * into K pairs ({@link Schedule}), wait once without a timeout, read the byte from every fd reported;
 * exactly K must be reported or the round throws. select and poll rebuild their set every round;
 * epoll and kqueue register the read ends once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class W1Sys {

    /** select, poll, epoll or kqueue (kqueue needs POLLKIT_KQUEUE_LIB). */
    @Param({"poll", "epoll"})
    public String backend;
    /** Socketpairs. */
    @Param({"10", "1000"})
    public int n;
    /** Pairs written per round. */
    @Param({"1", "10"})
    public int k;

    private static final int SELECT = 0, POLL = 1, EPOLL = 2, KQUEUE = 3;

    private int which;
    private Arena arena;
    private Pairs pairs;
    private int[] read, write;
    private Schedule schedule;
    private MemorySegment x, sink;   // the byte written ('x'), the byte read
    private MemorySegment fdSet;     // select
    private int nfds;                // select: highest read end + 1
    private MemorySegment pfds;      // poll: pollfd[n]
    private int epfd = -1;           // epoll
    private MemorySegment epEvents;  //   epoll_event[n]
    private int kq = -1;             // kqueue
    private MemorySegment kEvents;   //   kevent[n]

    @Setup(Level.Trial)
    public void setup() throws IOException {
        if (k < 1 || k > n) throw new IllegalArgumentException("k=" + k + " must be 1..n (n=" + n + ")");
        which = switch (backend) {
            case "select" -> SELECT;
            case "poll" -> POLL;
            case "epoll" -> EPOLL;
            case "kqueue" -> KQUEUE;
            default -> throw new IllegalArgumentException("backend=" + backend + ": select, poll, epoll or kqueue");
        };
        String unavailable = Backend.of(backend).unavailableReason();
        if (unavailable != null) throw new IllegalStateException(unavailable);
        arena = Arena.ofConfined();
        x = arena.allocate(1);
        x.set(JAVA_BYTE, 0, (byte) 'x');
        sink = arena.allocate(1);
        schedule = new Schedule(n);
        pairs = Pairs.open(n);
        read = pairs.read;
        write = pairs.write;
        switch (which) {
            case SELECT -> {
                int max = pairs.maxRead();
                if (!FdSet.fits(max)) {
                    throw new IllegalStateException("select: the read ends go up to fd " + max
                            + " but select only takes fds below FD_SETSIZE (" + FdSet.FD_SETSIZE + "); use a smaller n");
                }
                fdSet = FdSet.allocate(arena);
                nfds = max + 1;
            }
            case POLL -> pfds = pollfd.allocateArray(n, arena);
            case EPOLL -> {
                epEvents = epoll_event.allocateArray(n, arena);
                epfd = Epoll.epoll_create1(EPOLL_CLOEXEC());
                for (int fd : read) Epoll.epoll_ctl(epfd, EPOLL_CTL_ADD(), fd, EPOLLIN(), fd);
            }
            case KQUEUE -> {
                kEvents = kevent.allocateArray(n, arena);
                MemorySegment change = kevent.allocate(arena);
                kq = Kqueue.kqueue();
                for (int fd : read) {
                    Kqueue.EV_SET(change, 0, fd, EVFILT_READ(), EV_ADD(), 0, 0, 0);
                    if (Kqueue.kevent(kq, change, 1, null, 0, null) != 0) throw new IllegalStateException("kevent(EV_ADD, " + fd + ")");
                }
            }
            default -> throw new AssertionError(which);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Unistd.closeQuietly(epfd);
        Unistd.closeQuietly(kq);
        if (pairs != null) pairs.close();
        if (arena != null) arena.close();
    }

    /** One round; returns the fds reported (always k). */
    @Benchmark
    public int round() throws IOException {
        schedule.beginRound();
        for (int j = 0; j < k; j++) {
            int i = schedule.pick();
            long w = Unistd.write(write[i], x, 1);
            if (w != 1) throw new IllegalStateException("write(" + write[i] + ") returned " + w);
        }
        int ready = switch (which) {
            case SELECT -> select();
            case POLL -> poll();
            case EPOLL -> epoll();
            default -> kqueue();
        };
        if (ready != k) {
            throw new IllegalStateException("round " + schedule.round() + ": " + backend + " reported " + ready
                    + " ready fds, expected " + k);
        }
        return ready;
    }

    private int select() throws IOException {
        FdSet.zero(fdSet);
        for (int i = 0; i < n; i++) FdSet.set(fdSet, read[i]);
        int ready;
        do {
            ready = Select.select(nfds, fdSet, null, null, null);
        } while (ready == Results.INTERRUPTED);
        for (int i = 0; i < n; i++) {
            if (FdSet.isSet(fdSet, read[i])) readByte(read[i]);
        }
        return ready;
    }

    private int poll() throws IOException {
        for (int i = 0; i < n; i++) {
            pfds.set(pollfd.fd$layout(), i * pollfd.sizeof() + pollfd.fd$offset(), read[i]);
            pfds.set(pollfd.events$layout(), i * pollfd.sizeof() + pollfd.events$offset(), (short) POLLIN());
            pfds.set(pollfd.revents$layout(), i * pollfd.sizeof() + pollfd.revents$offset(), (short) 0);
        }
        int ready;
        do {
            ready = Poll.poll(pfds, n, -1);
        } while (ready == Results.INTERRUPTED);
        for (int i = 0; i < n; i++) {
            if (pfds.get(pollfd.revents$layout(), i * pollfd.sizeof() + pollfd.revents$offset()) != 0) readByte(pfds.get(pollfd.fd$layout(), i * pollfd.sizeof() + pollfd.fd$offset()));
        }
        return ready;
    }

    private int epoll() throws IOException {
        int ready;
        do {
            ready = Epoll.epoll_wait(epfd, epEvents, n, -1);
        } while (ready == Results.INTERRUPTED);
        for (int i = 0; i < ready; i++) readByte((int) Epoll.data(epEvents, i));
        return ready;
    }

    private int kqueue() throws IOException {
        int ready;
        do {
            ready = Kqueue.kevent(kq, null, 0, kEvents, n, null);
        } while (ready == Results.INTERRUPTED);
        for (int i = 0; i < ready; i++) {
            if ((kEvents.get(kevent.flags$layout(), i * kevent.sizeof() + kevent.flags$offset()) & EV_ERROR()) != 0) {
                throw new IllegalStateException("kevent: error " + kEvents.get(kevent.data$layout(), i * kevent.sizeof() + kevent.data$offset()) + " on fd " + kEvents.get(kevent.ident$layout(), i * kevent.sizeof() + kevent.ident$offset()));
            }
            readByte((int) kEvents.get(kevent.ident$layout(), i * kevent.sizeof() + kevent.ident$offset()));
        }
        return ready;
    }

    private void readByte(int fd) throws IOException {
        long r = Unistd.read(fd, sink, 1);
        if (r != 1) throw new IllegalStateException("read(" + fd + ") returned " + r);
    }
}
