package io.pollkit.uring;

/** Receives completions from {@link Ring#reap}: one call per CQE, in the order the kernel posted them. */
@FunctionalInterface
public interface Completion {
    /**
     * One CQE: the {@code user_data} of its submission, {@code res} (the operation's result, or -errno), and
     * its {@code flags} (IORING_CQE_F_*). The CQE is released to the kernel once the call returns.
     */
    void complete(long userData, int res, int flags);
}
