package io.pollkit.sys;

import io.pollkit.bindings.epoll_data;
import io.pollkit.bindings.epoll_event;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.pollkit.bindings.errno_h.EINTR;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_DEL;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_MOD;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code <sys/epoll.h>}: epoll_create1, epoll_ctl, epoll_wait (Linux). {@link io.pollkit.bindings.epoll_event}
 * is packed (12 bytes) on x86_64 and 16 bytes on aarch64; its generated class knows which.
 */
public final class Epoll {
    private Epoll() {}

    // epoll_event.data is the union epoll_data; its u64 member as the struct places it (1-aligned on
    // x86_64, where epoll_event is packed), so it is read and written in place, without a slice: the union's
    // own class is 8-aligned and would refuse the access at data's offset 4.
    private static final ValueLayout.OfLong DATA_U64 =
            (ValueLayout.OfLong) epoll_event.data$layout().select(groupElement("u64"));

    // One epoll_event per thread for the (events, data) form of epoll_ctl: no allocation per call.
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> epoll_event.allocate(Arena.ofAuto()));

    /** Whether epoll exists here. */
    public static boolean isAvailable() {
        return Portable.EPOLL;
    }

    /** epoll_create1(2), with EPOLL_CLOEXEC or 0. */
    public static int epoll_create1(int flags) throws ErrnoException {
        int r;
        do r = Ffm.epoll_create1(flags); while (r == -EINTR());
        if (r < 0) throw new ErrnoException("epoll_create1(flags=" + flags + ")", -r);
        return r;
    }

    /**
     * epoll_ctl(2) with an {@code epoll_event} the caller owns (may be null for EPOLL_CTL_DEL; else the
     * segment must hold one).
     */
    public static void epoll_ctl(int epfd, int op, int fd, MemorySegment event) throws ErrnoException {
        Bounds.struct(event, epoll_event.sizeof(), "epoll_ctl", "the epoll_event");
        for (;;) {
            int r = Transport.JNI_SELECTED ? Jni.epoll_ctl(epfd, op, fd, Jni.address(event))
                    : Ffm.epoll_ctl(epfd, op, fd, Native.orNull(event));
            if (r >= 0) return;
            if (r != -EINTR()) throw new ErrnoException("epoll_ctl(epfd=" + epfd + ", " + opName(op) + ", fd=" + fd + ")", -r);
        }
    }

    /**
     * The 64-bit {@code data} ({@code data.u64}) of the {@code index}-th epoll_event of {@code events}, as
     * {@link #epoll_wait} filled it: the token given to {@code epoll_ctl}. Reads in place, allocates nothing.
     */
    public static long data(MemorySegment events, int index) {
        return events.get(DATA_U64, index * epoll_event.sizeof() + epoll_event.data$offset() + epoll_data.u64$offset());
    }

    /** epoll_ctl(2) with {@code events} (EPOLLIN, ...) and the 64-bit {@code data} returned with them. */
    public static void epoll_ctl(int epfd, int op, int fd, int events, long data) throws ErrnoException {
        MemorySegment ev = SCRATCH.get();
        epoll_event.events(ev, events);
        ev.set(DATA_U64, epoll_event.data$offset() + epoll_data.u64$offset(), data);
        epoll_ctl(epfd, op, fd, ev);
    }

    /**
     * epoll_wait(2) into {@code events} (room for at least {@code maxevents} epoll_events, else
     * IndexOutOfBoundsException before the call): the number of events, 0 on timeout, or
     * {@link Results#INTERRUPTED} on EINTR.
     */
    public static int epoll_wait(int epfd, MemorySegment events, int maxevents, int timeoutMillis) throws ErrnoException {
        Bounds.elements(events, maxevents, epoll_event.sizeof(), "epoll_wait", "maxevents");
        int r = Transport.JNI_SELECTED
                ? Jni.epoll_wait(epfd, Jni.address(events), maxevents, timeoutMillis)
                : Ffm.epoll_wait(epfd, events, maxevents, timeoutMillis);
        if (r >= 0) return r;
        if (r == -EINTR()) return Results.INTERRUPTED;
        throw new ErrnoException("epoll_wait(epfd=" + epfd + ", maxevents=" + maxevents + ")", -r);
    }

    private static String opName(int op) {
        if (op == EPOLL_CTL_ADD()) return "EPOLL_CTL_ADD";
        if (op == EPOLL_CTL_MOD()) return "EPOLL_CTL_MOD";
        if (op == EPOLL_CTL_DEL()) return "EPOLL_CTL_DEL";
        return "op=" + op;
    }
}
