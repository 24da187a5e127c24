package io.pollkit.bindings;

import io.pollkit.sys.Kqueue;
import io.pollkit.sys.Unistd;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.pollkit.bindings.fcntl_h.O_CLOEXEC;
import static io.pollkit.bindings.fcntl_h.O_NONBLOCK;
import static io.pollkit.bindings.sys_event_h.EVFILT_READ;
import static io.pollkit.bindings.sys_event_h.EV_ADD;
import static io.pollkit.bindings.sys_event_h.EV_ERROR;
import static io.pollkit.bindings.sys_event_h.EV_RECEIPT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FreeBSD's 64-byte {@code struct kevent} ({@link kevent_freebsd}) against a kevent that takes it: the
 * kqueue double built for FreeBSD's ABI (libkqueue-double-freebsd.so, beside the library
 * POLLKIT_KQUEUE_LIB names). A receipt and a readiness event go through every field of the layout, the
 * ext[4] tail included: a wrong offset or size shows as a wrong ident, udata or count. The EV_ and EVFILT_
 * values used are the same in FreeBSD's and macOS's headers (bindings/kqueue/freebsd.h, darwin.h).
 */
class KeventFreebsdTest {
    @Test
    void receiptAndEventThroughTheFreebsdLayout() throws Throwable {
        assertEquals(64, kevent_freebsd.sizeof());
        String macLib = System.getProperty(Kqueue.LIBRARY_PROPERTY, System.getenv(Kqueue.LIBRARY_ENV));
        Path lib = macLib == null ? null : Path.of(macLib).resolveSibling("libkqueue-double-freebsd.so");
        if (lib == null || !Files.exists(lib)) {
            String why = "no FreeBSD-ABI kqueue double beside " + Kqueue.LIBRARY_ENV + "=" + macLib
                    + " (make -C native/kqueue-double builds it)";
            System.out.println("SKIPPED KeventFreebsdTest: " + why);
            Assumptions.abort(why);
        }
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup double_ = SymbolLookup.libraryLookup(lib, arena);
            Linker linker = Linker.nativeLinker();
            MethodHandle kqueue = linker.downcallHandle(double_.find("kqueue").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle kevent = linker.downcallHandle(double_.find("kevent").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            int kq = (int) kqueue.invokeExact();
            assertTrue(kq >= 0, "kqueue()");
            int[] pipe = Unistd.pipe2(O_NONBLOCK() | O_CLOEXEC());
            try {
                // Two changes in one array: the second starts at byte 64, so a 32-byte stride would misread it.
                MemorySegment changes = arena.allocate(kevent_freebsd.layout(), 2);
                MemorySegment out = arena.allocate(kevent_freebsd.layout(), 4);
                set(changes, 0, pipe[1], 0x1111);   // the write end never turns readable
                set(changes, 1, pipe[0], 0x2222);
                int n = (int) kevent.invokeExact(kq, changes, 2, out, 4, MemorySegment.NULL);
                assertEquals(2, n, "one receipt per change");
                for (int i = 0; i < 2; i++) {
                    MemorySegment r = kevent_freebsd.asSlice(out, i);
                    assertEquals(EV_ERROR(), kevent_freebsd.flags(r) & EV_ERROR(), "a receipt");
                    assertEquals(0, kevent_freebsd.data(r), "no error");
                    assertEquals(pipe[1 - i], kevent_freebsd.ident(r));
                    assertEquals(i == 0 ? 0x1111 : 0x2222, kevent_freebsd.udata(r).address());
                }
                MemorySegment byte_ = arena.allocate(1);
                Unistd.write(pipe[1], byte_, 1);
                MemorySegment zero = arena.allocate(timespec.layout());
                n = (int) kevent.invokeExact(kq, MemorySegment.NULL, 0, out, 4, zero);
                assertEquals(1, n, "the read end is readable");
                MemorySegment e = kevent_freebsd.asSlice(out, 0);
                assertEquals(pipe[0], kevent_freebsd.ident(e));
                assertEquals(EVFILT_READ(), kevent_freebsd.filter(e));
                assertEquals(1, kevent_freebsd.data(e), "one byte to read");
                assertEquals(0x2222, kevent_freebsd.udata(e).address());
            } finally {
                Unistd.closeQuietly(pipe[0]);
                Unistd.closeQuietly(pipe[1]);
                Unistd.closeQuietly(kq);
            }
        }
    }

    private static void set(MemorySegment array, long index, int fd, long udata) {
        MemorySegment k = kevent_freebsd.asSlice(array, index);
        kevent_freebsd.ident(k, fd);
        kevent_freebsd.filter(k, (short) EVFILT_READ());
        kevent_freebsd.flags(k, (short) (EV_ADD() | EV_RECEIPT()));
        kevent_freebsd.fflags(k, 0);
        kevent_freebsd.data(k, 0);
        kevent_freebsd.udata(k, MemorySegment.ofAddress(udata));
        kevent_freebsd.ext(k).fill((byte) 0);
    }
}
