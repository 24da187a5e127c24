package io.pollkit.bench;

import io.pollkit.poller.Backend;
import io.pollkit.poller.Events;
import io.pollkit.poller.Poller;
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

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * W1 dispatch through pollkit's {@link Poller} backends (impl=pollkit-poller): the same rounds as
 * {@link W1Sys}, but every read end is registered once with {@link Poller#READ} (token = pair index)
 * on {@code Backend.X.open()} and each round is one {@link Poller#poll} into a reused {@link Events}.
 * Set beside impl=ffm, it shows what the backend layer costs. The select and poll pollers keep their
 * set between waits (select copies a master set; poll keeps its pollfd array), and every poller
 * watches its waker fd too.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class W1Poller {
    /** select, poll, epoll, kqueue (needs POLLKIT_KQUEUE_LIB) or io_uring. */
    @Param({"poll", "epoll"})
    public String backend;
    @Param({"10", "1000"})
    public int n;
    @Param({"1", "10"})
    public int k;

    private Arena arena;
    private Poller poller;
    private Pairs pairs;
    private int[] read, write;
    private Events events;
    private Schedule schedule;
    private MemorySegment x, sink;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        if (k < 1 || k > n) throw new IllegalArgumentException("k=" + k + " must be 1..n (n=" + n + ")");
        arena = Arena.ofConfined();
        x = arena.allocate(1);
        x.set(JAVA_BYTE, 0, (byte) 'x');
        sink = arena.allocate(1);
        schedule = new Schedule(n);
        // The poller first: its waker takes a low fd, so select's read ends stay below FD_SETSIZE.
        poller = Backend.of(backend).open();
        pairs = Pairs.open(n);
        read = pairs.read;
        write = pairs.write;
        for (int i = 0; i < n; i++) poller.register(read[i], Poller.READ, i);
        events = new Events(n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (poller != null) poller.close();
        if (pairs != null) pairs.close();
        if (arena != null) arena.close();
    }

    @Benchmark
    public int round() throws IOException {
        schedule.beginRound();
        for (int j = 0; j < k; j++) {
            int i = schedule.pick();
            long w = Unistd.write(write[i], x, 1);
            if (w != 1) throw new IllegalStateException("write(" + write[i] + ") returned " + w);
        }
        int ready;
        do {
            ready = poller.poll(events, -1);   // 0 only after EINTR (no wakeups here): wait again
        } while (ready == 0);
        for (int j = 0; j < ready; j++) {
            int fd = read[(int) events.token(j)];
            long r = Unistd.read(fd, sink, 1);
            if (r != 1) throw new IllegalStateException("read(" + fd + ") returned " + r);
        }
        if (ready != k) {
            throw new IllegalStateException("round " + schedule.round() + ": " + backend + " poller reported " + ready
                    + " ready fds, expected " + k);
        }
        return ready;
    }
}
