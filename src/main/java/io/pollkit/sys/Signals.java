package io.pollkit.sys;

import static io.pollkit.bindings.errno_h.EINTR;

/** {@code <signal.h>}: gettid and tgkill, to signal one thread (Linux), for example to test EINTR handling. */
public final class Signals {
    private Signals() {}

    /** gettid(2): the calling thread's kernel id. */
    public static int gettid() {
        return Ffm.gettid();
    }

    /** tgkill(2): sends {@code sig} to thread {@code tid} of process {@code tgid}. */
    public static void tgkill(int tgid, int tid, int sig) throws ErrnoException {
        int r;
        do r = Ffm.tgkill(tgid, tid, sig); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("tgkill(tgid=" + tgid + ", tid=" + tid + ", sig=" + sig + ")", -r);
    }
}
