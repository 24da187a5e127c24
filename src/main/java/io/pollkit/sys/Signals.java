package io.pollkit.sys;

import io.pollkit.bindings.signal_h;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <signal.h>}: gettid and tgkill, to signal one thread (Linux), for example to test EINTR handling. */
public final class Signals {
    private Signals() {}

    private static final MethodHandle GETTID = Native.call("gettid", signal_h.gettid$descriptor());
    private static final MethodHandle TGKILL = Native.errnoCall("tgkill", signal_h.tgkill$descriptor());

    /** gettid(2): the calling thread's kernel id. */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** tgkill(2): sends {@code sig} to thread {@code tid} of process {@code tgid}. */
    public static void tgkill(int tgid, int tid, int sig) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) TGKILL.invokeExact(st, tgid, tid, sig);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) throw new ErrnoException("tgkill(tgid=" + tgid + ", tid=" + tid + ", sig=" + sig + ")", Native.errno(st));
    }
}
