package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import io.pollkit.bindings.kevent;
import io.pollkit.bindings.timespec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

import static io.pollkit.bindings.errno_h.EINTR;

/**
 * {@code <sys/event.h>}: kqueue(2) and kevent(2). On macOS and the BSDs they come from the C library.
 * Linux has no kqueue: there they come from the library named by the environment variable
 * {@code POLLKIT_KQUEUE_LIB} or the system property {@code pollkit.kqueue.lib} (the property wins),
 * for example libkqueue's {@code libkqueue.so.0}. Without one, {@link #isAvailable()} is false and the
 * calls throw UnsupportedOperationException with {@link #unavailableReason()}.
 */
public final class Kqueue {
    private Kqueue() {}

    /** The environment variable naming a kqueue library on Linux. */
    public static final String LIBRARY_ENV = "POLLKIT_KQUEUE_LIB";
    /** The system property naming a kqueue library on Linux; it wins over the environment variable. */
    public static final String LIBRARY_PROPERTY = "pollkit.kqueue.lib";

    // Where Ffm's kqueue and kevent come from (bindings.spec: "lookup Kqueue"): null when unavailable, and why.
    static final SymbolLookup LOOKUP;
    static final String REASON;
    private static final String LIBRARY;   // the kqueue library's path on Linux; null: the C library

    static {
        SymbolLookup lookup = null;
        String reason = null;
        String lib = null;
        if (Platform.NAME.startsWith("linux")) {
            lib = System.getProperty(LIBRARY_PROPERTY, System.getenv(LIBRARY_ENV));
            if (lib == null || lib.isBlank()) {
                reason = "kqueue: Linux has no kqueue; set " + LIBRARY_ENV + " (or -D" + LIBRARY_PROPERTY
                        + ") to a kqueue library such as libkqueue.so.0";
            } else {
                try {
                    lookup = SymbolLookup.libraryLookup(lib, Arena.global());
                } catch (IllegalArgumentException e) {
                    reason = "kqueue: cannot load the kqueue library " + lib + " named by " + LIBRARY_ENV + "/"
                            + LIBRARY_PROPERTY + ": " + e.getMessage();
                }
            }
        } else {
            lookup = Native.LIBC;
        }
        if (lookup != null && (lookup.find("kqueue").isEmpty() || lookup.find("kevent").isEmpty())) {
            reason = "kqueue: the library has no kqueue/kevent symbols (" + Platform.NAME + ")";
            lookup = null;
        }
        if (lookup != null && Transport.JNI_SELECTED) {
            // The JNI twin calls kevent from the same library (on Linux it dlopen()s the same path).
            String failed = Jni.kevent_init(lib);
            if (failed != null) {
                reason = "kqueue: the JNI library cannot call kevent from " + lib + ": " + failed;
                lookup = null;
            }
        }
        REASON = reason;
        LOOKUP = lookup;
        LIBRARY = lib;
    }

    /** Whether kqueue can be called here. */
    public static boolean isAvailable() {
        return REASON == null;
    }

    /** Why kqueue cannot be called here, or null when it can. */
    public static String unavailableReason() {
        return REASON;
    }

    /** Where kqueue and kevent come from: the C library (macOS, the BSDs), or the library named on Linux. */
    public static String origin() {
        return LIBRARY == null ? "the C library" : LIBRARY;
    }

    /** kqueue(2): a new kernel event queue. */
    public static int kqueue() throws ErrnoException {
        int r;
        do r = Ffm.kqueue(); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("kqueue()", -r);
        return r;
    }

    /**
     * kevent(2): applies the first {@code nchanges} changes of {@code changes}, then waits up to
     * {@code timeout} (a {@code struct timespec}, or null to wait forever) for up to {@code nevents}
     * events into {@code events}. Returns the number of events, or {@link Results#INTERRUPTED} on EINTR.
     * A count past its array (or negative; a null array holds none) is an IndexOutOfBoundsException
     * before the call.
     */
    public static int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                             MemorySegment timeout) throws ErrnoException {
        Bounds.elements(changes, nchanges, kevent.sizeof(), "kevent", "nchanges");
        Bounds.elements(events, nevents, kevent.sizeof(), "kevent", "nevents");
        Bounds.struct(timeout, timespec.sizeof(), "kevent", "the timespec");
        int r = Transport.JNI_SELECTED ? jniKevent(kq, changes, nchanges, events, nevents, timeout)
                : Ffm.kevent(kq, Native.orNull(changes), nchanges, Native.orNull(events), nevents, Native.orNull(timeout));
        if (r >= 0) return r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException("kevent(kq=" + kq + ", nchanges=" + nchanges + ", nevents=" + nevents + ")", -r);
    }

    /** The JNI call: the result, or -errno; refused with the reason, as the FFM downcall is, when unavailable. */
    private static int jniKevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                                 MemorySegment timeout) {
        if (REASON != null) throw new UnsupportedOperationException(REASON);
        return Jni.kevent(kq, Jni.address(changes), nchanges, Jni.address(events), nevents, Jni.address(timeout));
    }

    /** The EV_SET macro: fills the {@code struct kevent} at {@code index} of {@code array}. */
    public static void EV_SET(MemorySegment array, long index, long ident, int filter, int flags, int fflags,
                              long data, long udata) {
        array.set(kevent.ident$layout(), index * kevent.sizeof() + kevent.ident$offset(), ident);
        array.set(kevent.filter$layout(), index * kevent.sizeof() + kevent.filter$offset(), (short) filter);
        array.set(kevent.flags$layout(), index * kevent.sizeof() + kevent.flags$offset(), (short) flags);
        array.set(kevent.fflags$layout(), index * kevent.sizeof() + kevent.fflags$offset(), fflags);
        array.set(kevent.data$layout(), index * kevent.sizeof() + kevent.data$offset(), data);
        array.set(kevent.udata$layout(), index * kevent.sizeof() + kevent.udata$offset(), MemorySegment.ofAddress(udata));
    }
}
