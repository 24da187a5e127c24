package io.pollkit.sys;

import java.lang.foreign.MemorySegment;

/**
 * W4's unchecked twins of {@code Poll.poll} and {@code Unistd.read}: the generated raw downcalls
 * ({@link Ffm}) without the public calls' bounds checks and sentinels, to measure what the checks cost.
 * In the library's package so that it can reach the package-private {@code Ffm}; that works because the
 * benchmarks run on the class path, where a package may span jars. Not part of the library.
 */
public final class W4Unchecked {
    private W4Unchecked() {}

    /** poll(2) straight through the generated downcall: the result, or -errno. */
    public static int poll(MemorySegment fds, long nfds, int timeoutMillis) {
        return Ffm.poll(fds, nfds, timeoutMillis);
    }

    /** The bounds check of {@code Poll.poll} alone: returns {@code nfds} once checked. */
    public static long pollCheck(MemorySegment fds, long nfds) {
        Bounds.elements(fds, nfds, io.pollkit.bindings.pollfd.sizeof(), "poll", "nfds");
        return nfds;
    }

    /** The bounds check of {@code Unistd.read} alone: returns {@code length} once checked. */
    public static long readCheck(MemorySegment buf, long length) {
        Bounds.bytes(buf, length, "read", "len");
        return length;
    }

    /** read(2) straight through the generated downcall: the result, or -errno. */
    public static long read(int fd, MemorySegment buf, long length) {
        return Ffm.read(fd, buf, length);
    }
}
