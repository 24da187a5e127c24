package io.pollkit.sys;

import io.pollkit.bindings.unistd_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static io.pollkit.bindings.errno_h.EINTR;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code <unistd.h>} and {@code <sys/uio.h>}: close, read, write, readv, writev, pipe2, getpid.
 * read and write take segments the caller owns, allocate nothing, and return
 * {@link Results#WOULD_BLOCK} for EAGAIN/EWOULDBLOCK.
 */
public final class Unistd {
    private Unistd() {}

    private static final MethodHandle CLOSE = Native.errnoCall("close", unistd_h.close$descriptor());
    private static final MethodHandle READ = Native.errnoCall("read", unistd_h.read$descriptor());
    private static final MethodHandle WRITE = Native.errnoCall("write", unistd_h.write$descriptor());
    private static final MethodHandle READV = Native.errnoCall("readv", unistd_h.readv$descriptor());
    private static final MethodHandle WRITEV = Native.errnoCall("writev", unistd_h.writev$descriptor());
    private static final MethodHandle PIPE2 = Native.errnoCall("pipe2", unistd_h.pipe2$descriptor());
    private static final MethodHandle GETPID = Native.call("getpid", unistd_h.getpid$descriptor());

    /** close(2). EINTR is not retried: Linux has released the fd already. */
    public static void close(int fd) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        int r;
        try {
            r = (int) CLOSE.invokeExact(st, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0 && Native.errno(st) != EINTR()) throw new ErrnoException("close(fd=" + fd + ")", Native.errno(st));
    }

    /** close(2), ignoring every error: for cleanup paths that must go on. */
    public static void closeQuietly(int fd) {
        if (fd < 0) return;
        try {
            close(fd);
        } catch (ErrnoException ignored) {
            // the fd is gone either way
        }
    }

    /** read(2) into the first {@code length} bytes of {@code buf}: bytes read, 0 at end of file, or WOULD_BLOCK. */
    public static long read(int fd, MemorySegment buf, long length) throws ErrnoException {
        for (;;) {
            long n = Native.transfer(Transport.JNI_SELECTED ? Jni.read(fd, Jni.address(buf), length) : ffmRead(fd, buf, length),
                    "read", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** write(2) of the first {@code length} bytes of {@code buf}: bytes written (maybe fewer), or WOULD_BLOCK. */
    public static long write(int fd, MemorySegment buf, long length) throws ErrnoException {
        for (;;) {
            long n = Native.transfer(Transport.JNI_SELECTED ? Jni.write(fd, Jni.address(buf), length) : ffmWrite(fd, buf, length),
                    "write", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    // The FFM downcalls of read and write: the result, or -errno.

    private static long ffmRead(int fd, MemorySegment buf, long length) {
        MemorySegment st = Native.errnoState();
        try {
            return Native.orErrno((long) READ.invokeExact(st, fd, buf, length), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static long ffmWrite(int fd, MemorySegment buf, long length) {
        MemorySegment st = Native.errnoState();
        try {
            return Native.orErrno((long) WRITE.invokeExact(st, fd, buf, length), st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** readv(2) into {@code iovcnt} {@code struct iovec}s: bytes read, or WOULD_BLOCK. */
    public static long readv(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        return vector(READV, "readv", fd, iov, iovcnt);
    }

    /** writev(2) from {@code iovcnt} {@code struct iovec}s: bytes written, or WOULD_BLOCK. */
    public static long writev(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        return vector(WRITEV, "writev", fd, iov, iovcnt);
    }

    private static long vector(MethodHandle h, String call, int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        MemorySegment st = Native.errnoState();
        for (;;) {
            long r;
            try {
                r = (long) h.invokeExact(st, fd, iov, iovcnt);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            long n = Native.transfer(Native.orErrno(r, st), call, fd, "iovcnt", iovcnt);
            if (n != Native.RETRY) return n;
        }
    }

    /** pipe2(2): {@code {read end, write end}}, with O_NONBLOCK and/or O_CLOEXEC in {@code flags}. */
    public static int[] pipe2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment st = Native.errnoState();
            int r = (int) PIPE2.invokeExact(st, fds, flags);
            if (r < 0) throw new ErrnoException("pipe2(flags=" + flags + ")", Native.errno(st));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getpid(2): cannot fail. The trivial call of the downcall benchmark. */
    public static int getpid() {
        if (Transport.JNI_SELECTED) return Jni.getpid();
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
