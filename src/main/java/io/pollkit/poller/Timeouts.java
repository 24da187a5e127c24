package io.pollkit.poller;

/** The longest wait a poller asks of the kernel in one call. */
final class Timeouts {
    private Timeouts() {}

    /**
     * macOS's kevent and select refuse a timeout over 100,000,000 seconds with EINVAL (the limit of XNU's
     * interval timers; swift-nio #1642, netty #13503, erlang/otp #5342), and a far-off timer asks for
     * more. A longer wait is cut to this: poll returns 0 after it, and its caller recomputes and waits again.
     */
    static final long MAX_MILLIS = 100_000_000L * 1000;

    /** {@code millis}, at most {@link #MAX_MILLIS}. */
    static long clamp(long millis) {
        return Math.min(millis, MAX_MILLIS);
    }
}
