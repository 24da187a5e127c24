package io.pollkit.bench;

import io.pollkit.bindings.poll_h;
import io.pollkit.bindings.pollfd;
import io.pollkit.bindings.unistd_h;
import io.pollkit.sys.Poll;
import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.sys.W4Unchecked;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;

import static io.pollkit.bindings.poll_h.POLLIN;
import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;

/**
 * W4 downcall cost: {@code getpid()} and {@code poll()} on one never-ready socketpair end with timeout 0,
 * the same calls as {@code native/baselines/w4-downcall.c}.
 * <ul>
 *   <li>{@link #getpid()} and {@link #poll()}: through io.pollkit.sys ({@code Unistd.getpid},
 *       {@code Poll.poll} with a preallocated pollfd and errno capture): impl=ffm, and impl=jni when the
 *       fork runs with {@code -Dpollkit.transport=jni} ({@link io.pollkit.sys.Transport});</li>
 *   <li>{@link #getpidCritical()} and {@link #pollCritical()}: handles linked here from the generated
 *       descriptors with {@code Linker.Option.critical(false)} and no errno capture: impl=ffm-critical.
 *       Legal for these two because neither ever blocks (poll's timeout is 0).</li>
 *   <li>{@link #read()}: {@code Unistd.read} of 64 bytes from the never-ready non-blocking end
 *       (EAGAIN, so errno is read and WOULD_BLOCK returned).</li>
 *   <li>{@link #pollUnchecked()} and {@link #readUnchecked()}: the same calls through the generated raw
 *       downcalls ({@code io.pollkit.sys.W4Unchecked}), without the public API's bounds checks: the
 *       difference with {@link #poll()} and {@link #read()} is what the checks cost (FFM only; run them
 *       directly with JMH, see bench/README.md).</li>
 *   <li>{@link #pollCheck()} and {@link #readCheck()}: the bounds checks alone, beside {@link #noCheck()},
 *       which returns the same field unchecked: a cost far below the syscalls' noise, measured where it can
 *       be resolved.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class W4Downcall {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETPID_CRITICAL = critical("getpid", unistd_h.getpid$descriptor(),
            MethodType.methodType(int.class));
    // nfds_t is unsigned long on Linux: the Java type is long, as in io.pollkit.sys.Poll.
    private static final MethodHandle POLL_CRITICAL = critical("poll", poll_h.poll$descriptor(),
            MethodType.methodType(int.class, MemorySegment.class, long.class, int.class));

    @SuppressWarnings("restricted")   // the forks run with --enable-native-access=ALL-UNNAMED
    private static MethodHandle critical(String name, FunctionDescriptor descriptor, MethodType type) {
        MemorySegment address = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError(name + " not in the C library"));
        MethodHandle h = LINKER.downcallHandle(address, descriptor, Linker.Option.critical(false));
        return MethodHandles.explicitCastArguments(h, type);
    }

    private Arena arena;
    private int[] pair;
    private MemorySegment pfd;   // one pollfd: {pair[0], POLLIN, 0}; nothing is ever written to pair[1]
    private MemorySegment buf;   // 64 bytes for read: pair[0] is non-blocking, so read says EAGAIN
    private long count = 1;      // a field, not a constant: the checks are not folded away

    @Setup(Level.Trial)
    public void setup() throws IOException {
        arena = Arena.ofConfined();
        pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        buf = arena.allocate(64);
        pfd = pollfd.allocate(arena);
        pollfd.fd(pfd, pair[0]);
        pollfd.events(pfd, (short) POLLIN());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pair != null) {
            Unistd.closeQuietly(pair[0]);
            Unistd.closeQuietly(pair[1]);
        }
        if (arena != null) arena.close();
    }

    @Benchmark
    public int getpid() {
        return Unistd.getpid();
    }

    @Benchmark
    public int poll() throws IOException {
        int r = Poll.poll(pfd, 1, 0);
        if (r != 0) throw new IllegalStateException("poll returned " + r + " on a never-ready fd");
        return r;
    }

    @Benchmark
    public int getpidCritical() throws Throwable {
        return (int) GETPID_CRITICAL.invokeExact();
    }

    @Benchmark
    public int pollCritical() throws Throwable {
        int r = (int) POLL_CRITICAL.invokeExact(pfd, 1L, 0);
        if (r != 0) throw new IllegalStateException("poll returned " + r + " on a never-ready fd");
        return r;
    }

    @Benchmark
    public long read() throws IOException {
        long n = Unistd.read(pair[0], buf, buf.byteSize());
        if (n != Results.WOULD_BLOCK) throw new IllegalStateException("read returned " + n + " on a never-ready fd");
        return n;
    }

    @Benchmark
    public int pollUnchecked() {
        int r = W4Unchecked.poll(pfd, 1, 0);
        if (r != 0) throw new IllegalStateException("poll returned " + r + " on a never-ready fd");
        return r;
    }

    @Benchmark
    public long readUnchecked() {
        long n = W4Unchecked.read(pair[0], buf, buf.byteSize());
        if (n >= 0) throw new IllegalStateException("read returned " + n + " on a never-ready fd");
        return n;
    }

    @Benchmark
    public long pollCheck() {
        return W4Unchecked.pollCheck(pfd, count);
    }

    @Benchmark
    public long readCheck() {
        return W4Unchecked.readCheck(buf, count);
    }

    @Benchmark
    public long noCheck() {
        return count;
    }
}
