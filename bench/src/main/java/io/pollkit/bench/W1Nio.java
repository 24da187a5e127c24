package io.pollkit.bench;

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
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * W1 dispatch with java.nio (impl=nio): N connected UNIX-domain SocketChannel pairs (made through a
 * ServerSocketChannel bound to a temporary path), the read ends registered once with OP_READ on one
 * Selector; each round writes 1 byte into K pairs ({@link Schedule}), calls {@code select(Consumer)}
 * once without a timeout, and reads the byte from every key it hands over. Exactly K must be reported.
 *
 * <p>{@code backend} names the JDK's selector: {@code epoll} is the default provider on Linux;
 * {@code poll} is {@code sun.nio.ch.PollSelectorProvider}, chosen by starting the fork with
 * {@code -Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.PollSelectorProvider} (the runner does).
 * The JDK's poll selector keeps its pollfd array between selects instead of rebuilding it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class W1Nio {
    /** The system property that picks the JDK's selector provider. */
    static final String PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    /** The JDK's poll(2) selector provider on Linux. */
    static final String POLL_PROVIDER = "sun.nio.ch.PollSelectorProvider";

    /** epoll (the JDK's default on Linux) or poll (see the class comment). */
    @Param({"epoll"})
    public String backend;
    @Param({"10", "1000"})
    public int n;
    @Param({"1", "10"})
    public int k;

    private Selector selector;
    private SocketChannel[] readers, writers;
    private Schedule schedule;
    private final ByteBuffer x = ByteBuffer.allocateDirect(1).put(0, (byte) 'x');
    private final ByteBuffer sink = ByteBuffer.allocateDirect(1);
    private int reported;   // keys handed to the consumer in this round
    private final Consumer<SelectionKey> readOne = this::readOne;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        if (k < 1 || k > n) throw new IllegalArgumentException("k=" + k + " must be 1..n (n=" + n + ")");
        Pairs.raiseNofile();
        selector = Selector.open();
        String provider = selector.provider().getClass().getName();
        String expected = switch (backend) {
            case "epoll" -> "sun.nio.ch.EPollSelectorProvider";
            case "poll" -> POLL_PROVIDER;
            default -> throw new IllegalArgumentException("backend=" + backend + ": epoll or poll");
        };
        if (!provider.equals(expected)) {
            throw new IllegalStateException("backend=" + backend + " needs the selector provider " + expected + " but this JVM has "
                    + provider + (backend.equals("poll") ? "; start it with -D" + PROVIDER_PROPERTY + "=" + POLL_PROVIDER : ""));
        }
        schedule = new Schedule(n);
        readers = new SocketChannel[n];
        writers = new SocketChannel[n];
        Path dir = Files.createTempDirectory("pollkit-w1-nio-");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(address, 64);
            for (int i = 0; i < n; i++) {
                writers[i] = SocketChannel.open(address);   // connected; the server has it in its backlog
                readers[i] = server.accept();
                writers[i].configureBlocking(false);
                readers[i].configureBlocking(false);
                readers[i].register(selector, SelectionKey.OP_READ, i);
            }
        } finally {
            Files.deleteIfExists(address.getPath());
            Files.deleteIfExists(dir);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (selector != null) selector.close();
        for (SocketChannel[] channels : new SocketChannel[][] {readers, writers}) {
            if (channels == null) continue;
            for (SocketChannel c : channels) if (c != null) c.close();
        }
    }

    @Benchmark
    public int round() throws IOException {
        schedule.beginRound();
        for (int j = 0; j < k; j++) {
            int i = schedule.pick();
            x.clear();
            int w = writers[i].write(x);
            if (w != 1) throw new IllegalStateException("write to pair " + i + " returned " + w);
        }
        reported = 0;
        int selected = selector.select(readOne);
        if (reported != k || selected != k) {
            throw new IllegalStateException("round " + schedule.round() + ": nio " + backend + " reported " + reported
                    + " ready channels (select returned " + selected + "), expected " + k);
        }
        return reported;
    }

    private void readOne(SelectionKey key) {
        sink.clear();
        try {
            int r = ((SocketChannel) key.channel()).read(sink);
            if (r != 1) throw new IllegalStateException("read from pair " + key.attachment() + " returned " + r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reported++;
    }
}
