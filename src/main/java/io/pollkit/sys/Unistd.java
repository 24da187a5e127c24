package io.pollkit.sys;

import io.pollkit.bindings.iovec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.fcntl_h.O_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code <unistd.h>} and {@code <sys/uio.h>}: close, read, write, readv, writev, pipe2, getpid.
 * read and write take segments the caller owns, allocate nothing, and return
 * {@link Results#WOULD_BLOCK} for EAGAIN/EWOULDBLOCK. A length or count past the segment is an
 * IndexOutOfBoundsException before the call.
 */
public final class Unistd {
    private Unistd() {}

    /** close(2). EINTR is not retried, nor reported: Linux has released the fd already. */
    public static void close(int fd) throws ErrnoException {
        int r = Ffm.close(fd);
        if (r < 0 && r != -EINTR()) throw new ErrnoException("close(fd=" + fd + ")", -r);
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
        Bounds.bytes(buf, length, "read", "len");
        for (;;) {
            long n = Native.transfer(Transport.JNI_SELECTED ? Jni.read(fd, Jni.address(buf), length) : Ffm.read(fd, buf, length),
                    "read", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /** write(2) of the first {@code length} bytes of {@code buf}: bytes written (maybe fewer), or WOULD_BLOCK. */
    public static long write(int fd, MemorySegment buf, long length) throws ErrnoException {
        Bounds.bytes(buf, length, "write", "len");
        for (;;) {
            long n = Native.transfer(Transport.JNI_SELECTED ? Jni.write(fd, Jni.address(buf), length) : Ffm.write(fd, buf, length),
                    "write", fd, "len", length);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * readv(2) into the first {@code iovcnt} {@code struct iovec}s of {@code iov}: bytes read, or WOULD_BLOCK.
     * The iovecs' buffers are raw addresses the caller keeps valid, as in C.
     */
    public static long readv(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        Bounds.elements(iov, iovcnt, iovec.sizeof(), "readv", "iovcnt");
        for (;;) {
            long n = Native.transfer(Ffm.readv(fd, iov, iovcnt), "readv", fd, "iovcnt", iovcnt);
            if (n != Native.RETRY) return n;
        }
    }

    /** writev(2) from the first {@code iovcnt} {@code struct iovec}s of {@code iov}: bytes written, or WOULD_BLOCK. */
    public static long writev(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        Bounds.elements(iov, iovcnt, iovec.sizeof(), "writev", "iovcnt");
        for (;;) {
            long n = Native.transfer(Ffm.writev(fd, iov, iovcnt), "writev", fd, "iovcnt", iovcnt);
            if (n != Native.RETRY) return n;
        }
    }

    /**
     * pipe2(2): {@code {read end, write end}}, with O_NONBLOCK and/or O_CLOEXEC in {@code flags}; where pipe2
     * does not exist (macOS, {@link Portable#PIPE2}), pipe(2) and then fcntl on both ends.
     */
    public static int[] pipe2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r;
            do r = Portable.PIPE2 ? Ffm.pipe2(fds, flags) : Ffm.pipe(fds); while (r == -EINTR());
            if (r < 0) throw new ErrnoException((Portable.PIPE2 ? "pipe2" : "pipe") + "(flags=" + flags + ")", -r);
            int[] p = {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
            if (!Portable.PIPE2) {
                try {
                    for (int fd : p) {
                        if ((flags & O_NONBLOCK()) != 0) Fcntl.setNonBlocking(fd, true);
                        if ((flags & O_CLOEXEC()) != 0) Fcntl.setCloseOnExec(fd, true);
                    }
                } catch (ErrnoException e) {
                    closeQuietly(p[0]);
                    closeQuietly(p[1]);
                    throw e;
                }
            }
            return p;
        }
    }

    /** getpid(2): cannot fail. The trivial call of the downcall benchmark. */
    public static int getpid() {
        return Transport.JNI_SELECTED ? Jni.getpid() : Ffm.getpid();
    }
}
