package io.pollkit.loop;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.pollkit.bindings.sys_socket_h.AF_UNIX;
import static io.pollkit.bindings.sys_socket_h.SOCK_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The line framer against a model: however the bytes are cut into reads, it hands over exactly the lines
 * (without their {@code \n} or {@code \r\n}, other {@code \r}s kept), and a line over the limit closes the
 * connection after the lines before it, with nothing after.
 */
class LineFramerProperties {
    @Provide
    Arbitrary<List<String>> lines() {
        Arbitrary<String> line = Arbitraries.strings().withChars("ab\r\t x\u00e9").ofMaxLength(24);
        return line.list().ofMaxSize(30);
    }

    @Property(tries = 300)
    void anySplitGivesTheSameLines(@ForAll("lines") List<String> lines, @ForAll @Size(max = 20) List<@IntRange(min = 0, max = 1000) Integer> cuts,
                                   @ForAll boolean crlf, @ForAll @IntRange(min = 1, max = 24) int maxLine) throws Exception {
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        String closedFor = null;
        for (String l : lines) {
            text.append(l).append(crlf ? "\r\n" : "\n");
            // The framer strips one \r before the \n: a line that itself ends in \r loses it under LF endings.
            String seen = !crlf && l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
            if (closedFor != null) continue;
            if (seen.getBytes(StandardCharsets.UTF_8).length > maxLine) closedFor = "line longer than " + maxLine + " bytes";
            else expected.add(seen);
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        List<String> got = new ArrayList<>();
        AtomicReference<String> reason = new AtomicReference<>();
        int[] pair = Sockets.socketpair(AF_UNIX(), SOCK_STREAM() | Sockets.NONBLOCK | Sockets.CLOEXEC, 0);
        try (EventLoop loop = new EventLoop(Backend.POLL, new PrintStream(new ByteArrayOutputStream()));
             Arena arena = Arena.ofConfined()) {
            LineFramer framer = new LineFramer(maxLine, new LineFramer.Lines() {
                @Override
                public void line(Connection c, byte[] line, int length) {
                    got.add(LineFramer.text(line, length));
                }

                @Override
                public void closed(Connection c, String why) {
                    reason.set(why);
                }
            });
            Connection c = new Connection(loop, pair[0], 1, arena.allocate(16), 1 << 16, framer);
            List<Integer> at = new ArrayList<>();
            for (int cut : cuts) at.add(bytes.length == 0 ? 0 : cut % bytes.length);
            at.add(bytes.length);
            at.sort(null);
            int from = 0;
            for (int to : at) {
                if (to <= from || !c.isOpen()) continue;
                byte[] piece = Arrays.copyOfRange(bytes, from, to);
                framer.received(c, MemorySegment.ofArray(piece), piece.length);
                from = to;
            }
            assertEquals(expected, got);
            assertEquals(closedFor, reason.get());
        } finally {
            Unistd.closeQuietly(pair[1]);
        }
    }
}
