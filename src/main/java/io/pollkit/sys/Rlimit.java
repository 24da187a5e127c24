package io.pollkit.sys;

import io.pollkit.bindings.rlimit;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EINTR;

/** {@code <sys/resource.h>}: getrlimit(2)/setrlimit(2), for RLIMIT_NOFILE in tests and benchmarks. */
public final class Rlimit {
    private Rlimit() {}

    /** A soft ({@code cur}) and hard ({@code max}) limit. */
    public record Limit(long cur, long max) {}

    /** getrlimit(2). */
    public static Limit getrlimit(int resource) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = rlimit.allocate(arena);
            int r;
            do r = Ffm.getrlimit(resource, rl); while (r == -EINTR());
            if (r < 0) throw new ErrnoException("getrlimit(resource=" + resource + ")", -r);
            return new Limit(rlimit.rlim_cur(rl), rlimit.rlim_max(rl));
        }
    }

    /** setrlimit(2). */
    public static void setrlimit(int resource, Limit limit) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = rlimit.allocate(arena);
            rlimit.rlim_cur(rl, limit.cur());
            rlimit.rlim_max(rl, limit.max());
            int r;
            do r = Ffm.setrlimit(resource, rl); while (r == -EINTR());
            if (r < 0) throw new ErrnoException("setrlimit(resource=" + resource + ", cur=" + limit.cur() + ")", -r);
        }
    }
}
