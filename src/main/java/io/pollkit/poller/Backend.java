package io.pollkit.poller;

import io.pollkit.bindings.Platform;
import io.pollkit.sys.Epoll;
import io.pollkit.sys.Portable;
import io.pollkit.sys.Kqueue;
import io.pollkit.uring.Availability;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The readiness backends, chosen at run time by name. Each says whether it is available here and, when
 * not, why; an unavailable backend is refused with its reason, never silently replaced by another.
 */
public enum Backend {
    SELECT, POLL, EPOLL, KQUEUE, IO_URING;

    /** The lower-case name used on the command line: select, poll, epoll, kqueue, io_uring. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Why this backend cannot run here, or null when it can. */
    public String unavailableReason() {
        return switch (this) {
            case SELECT, POLL -> null;
            case EPOLL -> Epoll.isAvailable() ? null : Portable.FORCED && Platform.NAME.startsWith("linux")
                    ? "epoll: off, the portable paths are forced (-D" + Portable.PROPERTY + "=true)"
                    : "epoll: Linux only; this is " + Platform.NAME;
            case KQUEUE -> Kqueue.unavailableReason();
            // Nothing of io_uring depends on the portable paths, but the waker then is a pipe and the forced
            // runs stand for macOS, which has no io_uring.
            case IO_URING -> Portable.FORCED ? "io_uring: off, the portable paths are forced (-D" + Portable.PROPERTY + "=true)"
                    : named("io_uring", Availability.readinessUnavailableReason());
        };
    }

    /** {@code reason} beginning with the backend's name, as every reason does; null stays null. */
    private static String named(String id, String reason) {
        return reason == null || reason.startsWith(id + ":") ? reason : id + ": " + reason;
    }

    public boolean isAvailable() {
        return unavailableReason() == null;
    }

    /** Opens a new poller of this backend. */
    public Poller open() throws IOException {
        String reason = unavailableReason();
        if (reason != null) throw new UnsupportedOperationException(reason);
        return switch (this) {
            case SELECT -> new SelectPoller();
            case POLL -> new PollPoller();
            case EPOLL -> new EpollPoller();
            case KQUEUE -> new KqueuePoller();
            case IO_URING -> new IoUringPoller();
        };
    }

    /** The backend named {@code id}; IllegalArgumentException listing the choices otherwise. */
    public static Backend of(String id) {
        for (Backend b : values()) if (b.id().equals(id)) return b;
        throw new IllegalArgumentException("unknown backend '" + id + "'; choose one of "
                + Arrays.stream(values()).map(Backend::id).collect(Collectors.joining(", ")));
    }

    /** The default here: epoll on Linux, kqueue on macOS and the BSDs, else poll (Linux with the portable paths forced). */
    public static Backend defaultBackend() {
        if (Epoll.isAvailable()) return EPOLL;
        if (Platform.NAME.startsWith("darwin") || Platform.NAME.contains("bsd")) return KQUEUE;
        return POLL;
    }
}
