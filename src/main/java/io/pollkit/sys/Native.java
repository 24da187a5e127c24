package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import io.pollkit.bindings.errno_h;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Links C functions and captures errno, for the generated raw downcalls ({@link Ffm}), which keep each
 * handle in a {@code static final} field and call it with {@code invokeExact}; and the small helpers the
 * facility classes' policies share.
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
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
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

    /**
     * The downcall handle of {@code name} from {@code lookup}, for {@link Ffm}: with errno capture when
     * {@code captureErrno} (its type then starts with the capture segment), variadic from argument
     * {@code firstVariadic} unless it is -1, and adapted to {@code javaType} where the C types' widths
     * differ from the platform-neutral Java types. A missing symbol (or a null lookup) makes a handle that
     * throws UnsupportedOperationException({@code missing}) when called, so classes still initialize; with
     * {@code missing} null it is an UnsatisfiedLinkError now. With {@code critical} it is linked with
     * {@code Linker.Option.critical(false)}: the thread stays "in Java" during the call, which saves the two
     * thread-state transitions (W4 measures what that is worth) but holds up a safepoint, and so the whole JVM, for
     * as long as the call lasts. Only for calls that cannot block.
     */
    static MethodHandle downcall(SymbolLookup lookup, String missing, String name, FunctionDescriptor descriptor,
                                 MethodType javaType, boolean captureErrno, int firstVariadic, boolean critical) {
        MethodType type = captureErrno ? javaType.insertParameterTypes(0, MemorySegment.class) : javaType;
        // No descriptor: the platform's headers do not declare it (os:linux functions on macOS).
        Optional<MemorySegment> address = lookup == null || descriptor == null ? Optional.empty() : lookup.find(name);
        if (address.isEmpty()) {
            if (missing == null) {
                throw new UnsatisfiedLinkError(name + " not found in the C library of " + Platform.NAME);
            }
            MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class);
            thrower = MethodHandles.insertArguments(thrower, 0, new UnsupportedOperationException(missing));
            return MethodHandles.dropArguments(thrower, 0, type.parameterList());
        }
        Linker.Option[] options = Stream.of(captureErrno ? CAPTURE_ERRNO : null, critical ? CRITICAL : null,
                        firstVariadic >= 0 ? Linker.Option.firstVariadicArg(firstVariadic) : null)
                .filter(Objects::nonNull).toArray(Linker.Option[]::new);
        MethodHandle handle = LINKER.downcallHandle(address.get(), descriptor, options);
        return handle.type().equals(type) ? handle : MethodHandles.explicitCastArguments(handle, type);
    }

    /** Wraps what a downcall threw (only Errors and RuntimeExceptions can come out of one). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** strerror's text for {@code errno}; only for error paths. */
    static String strerror(int errno) {
        return cString(Ffm.strerror(errno));
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
