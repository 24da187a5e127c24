package io.pollkit.sys;

import io.pollkit.bindings.rlimit;
import io.pollkit.bindings.sys_resource_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/resource.h>}: getrlimit(2)/setrlimit(2), for RLIMIT_NOFILE in tests and benchmarks. */
public final class Rlimit {
    private Rlimit() {}

    private static final MethodHandle GETRLIMIT = Native.errnoCall("getrlimit", sys_resource_h.getrlimit$descriptor());
    private static final MethodHandle SETRLIMIT = Native.errnoCall("setrlimit", sys_resource_h.setrlimit$descriptor());

    /** A soft ({@code cur}) and hard ({@code max}) limit. */
    public record Limit(long cur, long max) {}

    /** getrlimit(2). */
    public static Limit getrlimit(int resource) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = rlimit.allocate(arena);
            MemorySegment st = Native.errnoState();
            int r = (int) GETRLIMIT.invokeExact(st, resource, rl);
            if (r < 0) throw new ErrnoException("getrlimit(resource=" + resource + ")", Native.errno(st));
            return new Limit(rlimit.rlim_cur(rl), rlimit.rlim_max(rl));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setrlimit(2). */
    public static void setrlimit(int resource, Limit limit) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = rlimit.allocate(arena);
            rlimit.rlim_cur(rl, limit.cur());
            rlimit.rlim_max(rl, limit.max());
            MemorySegment st = Native.errnoState();
            int r = (int) SETRLIMIT.invokeExact(st, resource, rl);
            if (r < 0) throw new ErrnoException("setrlimit(resource=" + resource + ", cur=" + limit.cur() + ")", Native.errno(st));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
