package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import io.pollkit.bindings.errno_h;
import io.pollkit.bindings.unistd_h;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Looks up C functions once and links them; captures errno. Every handle made here is stored in a
 * {@code static final} field by its facility class and called with {@code invokeExact}.
 *
 * <p>errno comes through {@code Linker.Option.captureCallState("errno")} into a capture segment that
 * each thread reuses ({@link #errnoState()}); it is read only when a call has failed.
 */
final class Native {
    private Native() {}

    static {
        Platform.requireSupported();
    }

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE_LAYOUT.byteOffset(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    // Arena.ofAuto: the segment is freed with its thread's ThreadLocalMap entry, never per call.
    private static final ThreadLocal<MemorySegment> ERRNO_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** This thread's errno capture segment, passed as the first argument of every errno-capturing handle. */
    static MemorySegment errnoState() {
        return ERRNO_STATE.get();
    }

    /** The errno a failed call left in {@code state}. */
    static int errno(MemorySegment state) {
        return state.get(JAVA_INT, ERRNO_OFFSET);
    }

    /**
     * {@code r}, or -errno when the call failed ({@code r < 0}): the convention of the hot calls, so that
     * one EAGAIN/EINTR policy serves both transports (the JNI twin returns -errno itself, see {@link Jni}).
     */
    static long orErrno(long r, MemorySegment state) {
        return r >= 0 ? r : -errno(state);
    }

    /** {@link #transfer}'s answer for EINTR: call again. */
    static final long RETRY = Long.MIN_VALUE;

    /**
     * The one result policy of the non-blocking transfers (read, write, readv, writev, recv, send, recvfrom,
     * sendto, recvmsg, sendmsg), given their result or -errno: the count; {@link Results#WOULD_BLOCK} for
     * EAGAIN/EWOULDBLOCK; {@link #RETRY} for EINTR; else an ErrnoException naming
     * {@code call(fd=FD, what=amount)}. Nothing is allocated unless it throws.
     */
    static long transfer(long r, String call, int fd, String what, long amount) throws ErrnoException {
        if (r >= 0) return r;
        int e = (int) -r;
        if (e == errno_h.EAGAIN() || e == errno_h.EWOULDBLOCK()) return Results.WOULD_BLOCK;
        if (e == errno_h.EINTR()) return RETRY;
        throw new ErrnoException(call + "(fd=" + fd + ", " + what + "=" + amount + ")", e);
    }

    /** {@link #orErrno(long, MemorySegment)} for calls returning int. */
    static int orErrno(int r, MemorySegment state) {
        return r >= 0 ? r : -errno(state);
    }

    /** A libc function that captures errno: its type is {@code (MemorySegment errnoState, args...) ret}. */
    static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(LIBC, name, descriptor, null, withCapture(options), null);
    }

    /**
     * Like {@link #errnoCall(String, FunctionDescriptor, Linker.Option...)}, adapted to {@code javaType}
     * (without the errno segment), for C types whose width varies between platforms (nfds_t, ...).
     */
    static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, MethodType javaType) {
        return link(LIBC, name, descriptor, javaType, withCapture(), null);
    }

    /** A libc function that cannot fail or does not set errno. */
    static MethodHandle call(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(LIBC, name, descriptor, null, options, null);
    }

    /**
     * A function from {@code lookup}; when the symbol is missing the handle throws
     * UnsupportedOperationException({@code missing}) when called, so classes still initialize.
     */
    static MethodHandle errnoCallOrThrow(SymbolLookup lookup, String name, FunctionDescriptor descriptor, String missing) {
        return link(lookup, name, descriptor, null, withCapture(), missing);
    }

    private static Linker.Option[] withCapture(Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return all;
    }

    private static MethodHandle link(SymbolLookup lookup, String name, FunctionDescriptor descriptor,
                                     MethodType javaType, Linker.Option[] options, String missing) {
        Optional<MemorySegment> address = lookup == null ? Optional.empty() : lookup.find(name);
        MethodType type = descriptor.toMethodType();
        if (options.length > 0 && options[0] == CAPTURE_ERRNO) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        if (address.isEmpty()) {
            if (missing == null) {
                throw new UnsatisfiedLinkError(name + " not found in the C library of " + Platform.NAME);
            }
            MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class);
            thrower = MethodHandles.insertArguments(thrower, 0, new UnsupportedOperationException(missing));
            return MethodHandles.dropArguments(thrower, 0, type.parameterList());
        }
        MethodHandle handle = LINKER.downcallHandle(address.get(), descriptor, options);
        if (javaType != null) {
            MethodType want = options.length > 0 && options[0] == CAPTURE_ERRNO
                    ? javaType.insertParameterTypes(0, MemorySegment.class) : javaType;
            handle = MethodHandles.explicitCastArguments(handle, want);
        }
        return handle;
    }

    /** Wraps what a downcall threw (only Errors and RuntimeExceptions can come out of one). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static final MethodHandle STRERROR = call("strerror", unistd_h.strerror$descriptor());

    /** strerror's text for {@code errno}; only for error paths. */
    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return cString(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads a NUL-terminated C string that the C library owns. */
    static String cString(MemorySegment pointer) {
        if (pointer.equals(MemorySegment.NULL)) return null;
        return pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** A pointer-sized NULL for arguments that may be absent. */
    static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }
}
