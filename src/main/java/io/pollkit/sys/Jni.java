package io.pollkit.sys;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JNI twin of the hot downcalls: the native methods of {@code libpollkit-jni}
 * ({@code native/jni/pollkit-jni.c}), used instead of FFM under {@code -Dpollkit.transport=jni}
 * ({@link Transport}). Each takes raw addresses of native memory the caller owns ({@link #address}, 0
 * for NULL) and returns the call's result, or -errno when it failed: no errno capture, and the facility
 * classes apply one EAGAIN/EINTR policy to both transports.
 *
 * <p>Unlike a downcall, a native method cannot keep a segment's arena from being closed by another
 * thread while it runs: callers pass segments they own, as they must for FFM too.
 */
final class Jni {
    private Jni() {}

    /** Where the library is when {@code -Dpollkit.jni.lib} is not set, relative to the working directory. */
    static final String DEFAULT_LIBRARY = "target/native/libpollkit-jni.so";

    static {
        String property = System.getProperty(Transport.LIBRARY_PROPERTY);
        Path lib = Path.of(property != null ? property : DEFAULT_LIBRARY).toAbsolutePath();
        if (!Files.isRegularFile(lib)) {
            throw new UnsatisfiedLinkError("-D" + Transport.PROPERTY + "=jni: no JNI library at " + lib + "; build it with `make jni`, or name it with -D"
                    + Transport.LIBRARY_PROPERTY + "=/path/to/libpollkit-jni.so");
        }
        System.load(lib.toString());   // JNI_OnLoad binds the methods below, or fails naming the one that differs
    }

    /** Loads the library (by initializing this class); throws UnsatisfiedLinkError when it is missing. */
    static void load() {}

    /** The address of {@code s} for a native method: 0 for null; refused where a downcall would refuse it. */
    static long address(MemorySegment s) {
        if (s == null) return 0;
        if (!s.isNative()) throw new IllegalArgumentException("Heap segment not allowed: " + s);
        if (!s.scope().isAlive()) throw new IllegalStateException("Already closed");
        if (!s.isAccessibleBy(Thread.currentThread())) throw new WrongThreadException("Attempted access outside owning thread");
        return s.address();
    }

    // The C functions of the same names; each returns its result, or -errno. Bound in JNI_OnLoad.

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native int poll(long fds, long nfds, int timeout);

    static native int select(int nfds, long readfds, long writefds, long exceptfds, long timeval);

    static native int epoll_wait(int epfd, long events, int maxevents, int timeout);

    static native int epoll_ctl(int epfd, int op, int fd, long event);

    /** Makes kevent callable: on Linux from {@code library} (Kqueue's); null when it is, else why not. */
    static native String kevent_init(String library);

    static native int kevent(int kq, long changes, int nchanges, long events, int nevents, long timespec);

    static native int getpid();
}
