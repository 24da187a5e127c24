package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Kqueue;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;

/**
 * The one way a servers' test skips: it prints {@code SKIPPED <test> [on <backend>]: <reason>} and aborts the
 * test. A kqueue library that was named (POLLKIT_KQUEUE_LIB, as the build names the test double) but does not
 * load fails the test instead: otherwise a broken double would quietly skip every kqueue case.
 */
public final class Backends {
    private Backends() {}

    /** Aborts the test (skipped, not failed) with a printed reason when {@code b} cannot run here. */
    public static void assumeAvailable(Backend b, TestInfo info) {
        assumeAvailable(b, name(info));
    }

    /** Like {@link #assumeAvailable(Backend, TestInfo)} for a test that names itself. */
    public static void assumeAvailable(Backend b, String test) {
        String reason = b.unavailableReason();
        if (reason == null) return;
        if (b == Backend.KQUEUE) {
            String named = System.getProperty(Kqueue.LIBRARY_PROPERTY, System.getenv(Kqueue.LIBRARY_ENV));
            if (named != null && !named.isBlank()) {
                throw new AssertionError("kqueue library " + named + " is named (" + Kqueue.LIBRARY_ENV
                        + "), so the kqueue tests must run, but: " + reason);
            }
        }
        skip(test + " on " + b.id(), reason);
    }

    /** Prints {@code SKIPPED <test>: <reason>} and aborts the test. */
    public static void skip(TestInfo info, String reason) {
        skip(name(info), reason);
    }

    /** Prints {@code SKIPPED <what>: <reason>} and aborts the test. */
    public static void skip(String what, String reason) {
        String line = "SKIPPED " + what + ": " + reason;
        System.out.println(line);
        Assumptions.abort(line);
    }

    static String name(TestInfo info) {
        return info.getTestClass().map(Class::getSimpleName).orElse("?") + "."
                + info.getTestMethod().map(java.lang.reflect.Method::getName).orElse(info.getDisplayName())
                + (info.getDisplayName().startsWith("[") ? " " + info.getDisplayName() : "");
    }
}
