package io.pollkit.server;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A thread-safe sink of text lines: what a server prints to its out or log stream, or what a child
 * process or a client reads. Lines matching the {@link #drop} predicate (a flood of "client said: ...")
 * are counted, not kept, so memory stays small. Every wait is bounded and fails with the lines seen.
 */
public final class LineCapture extends OutputStream {
    private final String name;
    private final List<String> lines = new ArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private Predicate<String> drop = s -> false;
    private long dropped;

    public LineCapture(String name) {
        this.name = name;
    }

    /** A PrintStream into this capture (autoflush; PrintStream itself serialises its writers). */
    public PrintStream printStream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    /** Lines matching {@code p} from now on are counted ({@link #dropped}) instead of kept. */
    public synchronized void drop(Predicate<String> p) {
        drop = p;
    }

    public synchronized long dropped() {
        return dropped;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            if (drop.test(line)) dropped++;
            else lines.add(line);
            notifyAll();
        } else {
            partial.write(b);
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    /** Copies {@code in} into this capture on a daemon thread until end of stream. */
    public Thread pump(InputStream in) {
        Thread t = Thread.ofPlatform().daemon().name("pump-" + name).start(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) write(buf, 0, n);
            } catch (java.io.IOException e) {
                // the stream is gone: what was read is kept
            }
        });
        return t;
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    public synchronized int size() {
        return lines.size();
    }

    public synchronized int count(Predicate<String> p) {
        int n = 0;
        for (String l : lines) if (p.test(l)) n++;
        return n;
    }

    public int count(String regex) {
        Pattern p = Pattern.compile(regex);
        return count(l -> p.matcher(l).matches());
    }

    /** Waits until at least {@code n} kept lines match {@code p}. */
    public synchronized void awaitCount(Predicate<String> p, int n, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            int c = count(p);
            if (c >= n) return;
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError(name + ": waited " + timeout.toMillis() + " ms for " + n + " x " + what
                    + ", saw " + c + "; lines:\n" + tail());
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** Waits for the first kept line (from index {@code from}) that matches {@code regex} in full; returns its matcher. */
    public synchronized Matcher await(String regex, int from, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            for (int i = from; i < lines.size(); i++) {
                Matcher m = p.matcher(lines.get(i));
                if (m.matches()) return m;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError(name + ": waited " + timeout.toMillis() + " ms for a line matching /"
                    + regex + "/; lines:\n" + tail());
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for /" + regex + "/");
            }
        }
    }

    public Matcher await(String regex, Duration timeout) {
        return await(regex, 0, timeout);
    }

    /** The last lines, for failure messages. */
    public synchronized String tail() {
        int from = Math.max(0, lines.size() - 60);
        StringBuilder b = new StringBuilder();
        if (from > 0) b.append("  ... ").append(from).append(" earlier lines\n");
        for (String l : lines.subList(from, lines.size())) b.append("  | ").append(l).append('\n');
        if (dropped > 0) b.append("  (").append(dropped).append(" lines dropped by the filter)\n");
        return b.toString();
    }

    @Override
    public String toString() {
        return name;
    }
}
