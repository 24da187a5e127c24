package io.pollkit.testing;

import io.pollkit.poller.Backend;
import io.pollkit.sys.Kqueue;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;

/**
 * The one way a library test skips: it prints {@code SKIPPED <Class.method> [on <backend>]: <reason>} (a skip
 * that only JUnit's report knows about is easy to miss) and aborts the test. A kqueue library that was named
 * (POLLKIT_KQUEUE_LIB, or -Dpollkit.kqueue.lib, as {@code make test} names the test double) but cannot be
 * loaded is a failure, not a skip: otherwise a broken build of the double would quietly skip every kqueue case.
 */
public final class Skip {
    private Skip() {}

    /** Prints the reason and aborts the test. */
    public static void because(TestInfo test, String reason) {
        String line = "SKIPPED " + name(test) + ": " + reason;
        System.out.println(line);
        Assumptions.abort(line);
    }

    /** Prints the reason and aborts the test, naming the backend it was to run on. */
    public static void because(TestInfo test, Backend backend, String reason) {
        because(test, "on " + backend.id() + ": " + reason);
    }

    /** Skips unless {@code backend} can run here; fails when it is kqueue and its named library does not load. */
    public static void unlessAvailable(TestInfo test, Backend backend) {
        String reason = backend.unavailableReason();
        if (reason == null) return;
        if (backend == Backend.KQUEUE) failIfKqueueLibraryNamed(reason);
        because(test, backend, reason);
    }

    /** Fails with {@code reason} when a kqueue library was named: then kqueue must be there. */
    public static void failIfKqueueLibraryNamed(String reason) {
        String named = kqueueLibraryNamed();
        if (named != null) {
            throw new AssertionError("kqueue library " + named + " is named (" + Kqueue.LIBRARY_ENV + "/-D"
                    + Kqueue.LIBRARY_PROPERTY + "), so the kqueue tests must run, but: " + reason);
        }
    }

    /** The kqueue library named by -Dpollkit.kqueue.lib or POLLKIT_KQUEUE_LIB, or null. */
    public static String kqueueLibraryNamed() {
        String lib = System.getProperty(Kqueue.LIBRARY_PROPERTY, System.getenv(Kqueue.LIBRARY_ENV));
        return lib == null || lib.isBlank() ? null : lib;
    }

    private static String name(TestInfo test) {
        String cls = test.getTestClass().map(Class::getSimpleName).orElse("?");
        return cls + "." + test.getTestMethod().map(java.lang.reflect.Method::getName).orElse(test.getDisplayName())
                + (test.getDisplayName().startsWith("[") ? " " + test.getDisplayName() : "");
    }
}
