package io.pollkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class BoundedLogTest {
    /** A stream whose reader is away until {@link #back} counts down, as a full pipe blocks its writer. */
    private static final class StalledReader extends OutputStream {
        final CountDownLatch back = new CountDownLatch(1);
        final ByteArrayOutputStream got = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                back.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            synchronized (this) {
                got.write(b, off, len);
            }
        }

        synchronized String text() {
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void writesNeverWaitAndWhatDoesNotFitIsDroppedWholeAndCounted() {
        StalledReader reader = new StalledReader();
        BoundedLog log = new BoundedLog(reader, 1000);
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        // 100 lines of 10 bytes fit in 1000 bytes, and the writer thread holds at most one buffer's worth while it is
        // blocked on the reader: no println waits for the reader.
        for (int i = 0; i < 1000; i++) out.println(String.format("line %04d", i));
        assertTrue(log.dropped() > 0, "nothing dropped");
        reader.back.countDown();
        out.close();   // waits for the buffer to be written
        // Every line is kept, whole and in order, or counted by the next report: each report stands exactly for the
        // lines missing between the kept line before it and the one after it.
        int next = 0, kept = 0;
        String[] lines = reader.text().split("\n");
        for (String line : lines) {
            var report = java.util.regex.Pattern.compile("pollkit: (\\d+) log lines dropped: the log's reader fell behind").matcher(line);
            if (report.matches()) {
                next += Integer.parseInt(report.group(1));
            } else {
                assertEquals(String.format("line %04d", next++), line);
                kept++;
            }
        }
        assertEquals(1000, next, "lines kept or counted");
        assertTrue(kept <= 300, "kept " + kept + " lines in a 1000-byte buffer (plus what the writer held)");
        assertTrue(lines[lines.length - 1].startsWith("pollkit: "), "the last drops are reported");
    }

    @Test
    void aReaderThatKeepsUpGetsEveryLineAndNoReport() {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new BoundedLog(target, 64 * 1024), true, StandardCharsets.UTF_8);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            out.println("line " + i);
            expected.append("line ").append(i).append('\n');
        }
        out.close();
        assertEquals(expected.toString(), target.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aWriteLargerThanTheBufferIsDroppedNotCut() {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        BoundedLog log = new BoundedLog(target, 16);
        log.write(new byte[17], 0, 17);
        log.write("fits\n".getBytes(StandardCharsets.US_ASCII), 0, 5);
        log.close();
        // The report goes out whenever the buffer is empty: before or after the line that fitted.
        String text = target.toString(StandardCharsets.UTF_8);
        assertTrue(text.equals("fits\npollkit: 1 log lines dropped: the log's reader fell behind\n")
                || text.equals("pollkit: 1 log lines dropped: the log's reader fell behind\nfits\n"), text);
    }
}
