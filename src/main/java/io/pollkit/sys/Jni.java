package io.pollkit.sys;

import io.pollkit.bindings.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

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

    /**
     * The contract with the C side ({@code POLLKIT_JNI_ABI} in pollkit-jni.c): bump both when a native method's
     * meaning changes. A library reporting another number was built from another version and is refused.
     */
    static final int ABI_VERSION = 1;

    /** Where the library jar carries the library of {@code platform}: Netty's {@code META-INF/native/} convention. */
    static String resource(String platform) {
        return "META-INF/native/" + platform + "/" + System.mapLibraryName("pollkit-jni");
    }

    static {
        String property = System.getProperty(Transport.LIBRARY_PROPERTY);
        if (property != null) {
            String what = "-D" + Transport.LIBRARY_PROPERTY + "=" + property;
            Path lib = Path.of(property).toAbsolutePath();
            if (!Files.isRegularFile(lib)) throw failure(what, "no such file");
            loadChecked(lib, what);
        } else {
            loadPackaged();
        }
    }

    /**
     * Extracts the jar's library for this platform to a private temporary file and loads it. The file is
     * deleted as soon as it is loaded: on Linux and the other POSIX systems a loaded library stays mapped
     * after its name is gone, so nothing is left behind even when the JVM is killed.
     */
    private static void loadPackaged() {
        String resource = resource(Platform.NAME);
        String what = "the resource " + resource + " of the pollkit jar (-D" + Transport.LIBRARY_PROPERTY + " is not set)";
        try (InputStream in = Jni.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw failure(what, "this jar has no JNI library for " + Platform.NAME
                        + "; build one there with `make jni` and name it with -D" + Transport.LIBRARY_PROPERTY + "=PATH");
            }
            Path tmp = privateTempFile();
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                loadChecked(tmp, what + ", extracted to " + tmp);
            } finally {
                deleteLoaded(tmp);
            }
        } catch (IOException e) {
            throw failure(what, "cannot extract it to java.io.tmpdir: " + e);
        }
    }

    private static void deleteLoaded(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {   // a system that keeps a loaded library's file busy
            tmp.toFile().deleteOnExit();
        }
    }

    /** An empty file only its owner can read or write, in java.io.tmpdir. */
    private static Path privateTempFile() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile(dir, "libpollkit-jni-", ".so",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return Files.createTempFile(dir, "libpollkit-jni-", ".so");
    }

    /** System.load, then the ABI check; any failure is one UnsatisfiedLinkError naming {@code what}. */
    private static void loadChecked(Path lib, String what) {
        int abi;
        try {
            System.load(lib.toString());   // JNI_OnLoad binds the methods below, or fails naming the one that differs
            abi = abi_version();
        } catch (LinkageError e) {   // not a library for this platform, or from another version (NoSuchMethodError)
            throw failure(what, "not a libpollkit-jni this pollkit can load (" + e + ")");
        }
        if (abi != ABI_VERSION) {
            throw failure(what, "built from another pollkit version: its JNI ABI is " + abi + ", this pollkit's is "
                    + ABI_VERSION + "; rebuild it from this version (`make jni`)");
        }
    }

    private static UnsatisfiedLinkError failure(String what, String why) {
        return new UnsatisfiedLinkError("-D" + Transport.PROPERTY + "=jni on " + Platform.NAME + ": " + what + ": " + why);
    }

    /** Loads the library (by initializing this class); throws UnsatisfiedLinkError when it is missing or mismatched. */
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

    /** The C side's POLLKIT_JNI_ABI, compared with {@link #ABI_VERSION} once, when the library loads. */
    private static native int abi_version();
}
