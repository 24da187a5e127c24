package io.pollkit.server;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The log of one client's lines ({@code client said: ...}), rate-limited so that a client flooding lines
 * cannot make the loop's thread wait on the log's blocking writes, as journald limits a service
 * ({@code RateLimitBurst} per {@code RateLimitIntervalSec}): at most {@value #BURST} lines a second are shown;
 * the rest are counted, without being decoded, and the count is logged
 * ({@code client N: K lines not shown (over 100 a second)}) at the first line after that second, or when the
 * client disconnects. Every line is either shown or counted.
 */
public final class LineLog {
    /** Lines shown per client per interval. */
    public static final int BURST = 100;
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final PrintStream log;
    private final long clientId;
    private long windowStart = System.nanoTime();
    private int shown;
    private long suppressed;

    public LineLog(PrintStream log, long clientId) {
        this.log = log;
        this.clientId = clientId;
    }

    /** A complete line, {@code line[0..length)} without its end of line, as UTF-8. */
    public void line(byte[] line, int length) {
        if (shown == BURST) {
            long now = System.nanoTime();
            if (now - windowStart < INTERVAL_NANOS) {
                suppressed++;
                return;
            }
            windowStart = now;
            shown = 0;
            reportSuppressed();
        }
        shown++;
        log.println("client said: " + LogText.escape(new String(line, 0, length, StandardCharsets.UTF_8)));
    }

    /** The client is gone: logs the count of lines not shown, if any. */
    public void closed() {
        reportSuppressed();
    }

    private void reportSuppressed() {
        if (suppressed == 0) return;
        log.println("client " + clientId + ": " + suppressed + " lines not shown (over " + BURST + " a second)");
        suppressed = 0;
    }
}
