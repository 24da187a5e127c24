package io.pollkit.loop;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Splits a connection's bytes into lines ending in {@code \n} or {@code \r\n}. A line longer than
 * {@code maxLine} bytes, its end of line not counted, closes the connection with the reason
 * "line longer than N bytes".
 * Lines are handed over as bytes in a buffer reused for the next line: framing allocates nothing, and a
 * handler that wants a String (to log it) makes one with {@link #text}.
 */
public final class LineFramer implements Connection.Handler {
    /** What to do with each complete line. */
    public interface Lines {
        /** The line is {@code line[0 .. length)}, without its end of line; the array is reused afterwards. */
        void line(Connection c, byte[] line, int length) throws IOException;

        default void closed(Connection c, String reason) {}
    }

    private final int maxLine;
    private final Lines lines;
    private final byte[] partial;
    private int length;

    public LineFramer(int maxLine, Lines lines) {
        this.maxLine = maxLine;
        this.lines = lines;
        this.partial = new byte[maxLine + 1];   // + 1: room for a '\r' that may turn out to end the line
    }

    @Override
    public void received(Connection c, MemorySegment data, long n) throws IOException {
        for (long i = 0; i < n && c.isOpen(); i++) {
            byte b = data.get(JAVA_BYTE, i);
            if (b == '\n') {
                int end = length > 0 && partial[length - 1] == '\r' ? length - 1 : length;
                length = 0;
                lines.line(c, partial, end);
            } else if (length > maxLine || (length == maxLine && b != '\r')) {
                c.close("line longer than " + maxLine + " bytes");
                return;
            } else {
                partial[length++] = b;
            }
        }
    }

    /** The line as UTF-8 text (as the peer sent it: escape it before it reaches a terminal or a log). */
    public static String text(byte[] line, int length) {
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }

    @Override
    public void closed(Connection c, String reason) {
        lines.closed(c, reason);
    }
}
