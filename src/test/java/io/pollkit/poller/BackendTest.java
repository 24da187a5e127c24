package io.pollkit.poller;

import io.pollkit.bindings.Platform;
import io.pollkit.sys.Portable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import io.pollkit.testing.Skip;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing a backend by name, the default, and refusing an unavailable one with its reason. */
class BackendTest {

    @Test
    void unknownNameListsTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.of("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        for (Backend b : Backend.values()) assertTrue(e.getMessage().contains(b.id()), "lists " + b.id() + ": " + e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backend.of("EPOLL"), "names are lower case");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void namesRoundTrip(Backend backend) {
        assertEquals(backend, Backend.of(backend.id()));
        assertEquals(backend.name().toLowerCase(java.util.Locale.ROOT), backend.id());
    }

    @Test
    void epollIsTheDefaultOnLinux(TestInfo test) {
        if (!Platform.NAME.startsWith("linux")) Skip.because(test, "not Linux: " + Platform.NAME);
        if (Portable.FORCED) {
            // the portable paths forced (pom.xml: portable-paths): Linux as macOS would be, without epoll
            assertEquals(Backend.POLL, Backend.defaultBackend());
            assertTrue(Backend.EPOLL.unavailableReason().contains(Portable.PROPERTY), Backend.EPOLL.unavailableReason());
            assertTrue(Backend.IO_URING.unavailableReason().contains(Portable.PROPERTY), Backend.IO_URING.unavailableReason());
            return;
        }
        assertEquals(Backend.EPOLL, Backend.defaultBackend());
        assertNull(Backend.EPOLL.unavailableReason());
        assertNull(Backend.SELECT.unavailableReason());
        assertNull(Backend.POLL.unavailableReason());
    }

    /** A kqueue library named for the tests (make test names the double) is loaded: kqueue is available. */
    @Test
    void aNamedKqueueLibraryLoads(TestInfo test) {
        if (Skip.kqueueLibraryNamed() == null) Skip.because(test, "no kqueue library named (" + io.pollkit.sys.Kqueue.LIBRARY_ENV + ")");
        String reason = Backend.KQUEUE.unavailableReason();
        if (reason != null) Skip.failIfKqueueLibraryNamed(reason);
        assertNull(reason);
    }

    /** Available: opens and names itself. Unavailable: refused with the reason, never replaced by another. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void openOrRefuseWithTheReason(Backend backend) throws Exception {
        String reason = backend.unavailableReason();
        assertEquals(reason == null, backend.isAvailable());
        if (reason == null) {
            try (Poller p = backend.open()) {
                assertEquals(backend.id(), p.name());
            }
            return;
        }
        assertTrue(reason.startsWith(backend.id() + ":"), "the reason names the backend: " + reason);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, backend::open);
        assertNotNull(e.getMessage());
        assertEquals(reason, e.getMessage());
    }
}
