package io.pollkit.poller;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.pollkit.poller.PollerTesting.assertEarly;
import static io.pollkit.poller.PollerTesting.open;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A wait with no practical limit (a timer years away) is not an error. macOS's kevent and select refuse
 * a timeout over 1e8 seconds with EINVAL; the Linux kqueue double refuses it too, so the kqueue case fails
 * here if the poller stops cutting it. Linux's select takes it, so there only the cut itself is checked.
 */
class LongTimeoutTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void aFarTimeoutIsNoError(Backend backend, TestInfo test) throws Exception {
        try (Poller p = open(test, backend)) {
            for (long timeout : new long[] {Long.MAX_VALUE, Long.MAX_VALUE / 2, Timeouts.MAX_MILLIS + 1}) {
                p.wakeup();
                long start = System.nanoTime();
                assertEquals(0, p.poll(new Events(4), timeout));
                assertEarly(start, 5_000, "a poll after a wakeup");
            }
        }
    }

    @Test
    void timeoutsAreCutToDarwinsLimit() {
        assertEquals(100_000_000_000L, Timeouts.MAX_MILLIS, "1e8 seconds");
        assertEquals(Timeouts.MAX_MILLIS, Timeouts.clamp(Long.MAX_VALUE));
        assertEquals(Timeouts.MAX_MILLIS, Timeouts.clamp(Timeouts.MAX_MILLIS));
        assertEquals(1234, Timeouts.clamp(1234));
        assertEquals(-1, Timeouts.clamp(-1));
    }
}
