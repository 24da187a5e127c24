package io.pollkit.server;

import io.pollkit.poller.Backend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;

/** Runs a test on every backend; one that is unavailable here is reported as skipped, with its reason. */
public final class Backends {
    private Backends() {}

    /** Aborts the test (skipped, not failed) with a printed reason when {@code b} cannot run here. */
    public static void assumeAvailable(Backend b, TestInfo info) {
        String reason = b.unavailableReason();
        if (reason == null) return;
        String test = info.getTestClass().map(Class::getSimpleName).orElse("?") + "."
                + info.getTestMethod().map(java.lang.reflect.Method::getName).orElse(info.getDisplayName());
        String line = "SKIPPED " + test + " on " + b.id() + ": " + reason;
        System.out.println(line);
        Assumptions.abort(line);
    }
}
