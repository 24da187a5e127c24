package io.pollkit.server;

import io.pollkit.poller.Backend;
import io.pollkit.uring.Availability;
import org.junit.jupiter.api.TestInfo;

import java.util.Arrays;
import java.util.stream.Stream;

/**
 * What drives a server under test: a readiness backend, or io_uring's completion model. The echo and http tests run
 * on {@link #all()}, so the completion servers pass the very tests the readiness ones do.
 */
public record Engine(Backend backend, Model model) {
    /** io_uring's completion model (the backend is unused there). */
    public static final Engine COMPLETION = new Engine(Backend.defaultBackend(), Model.COMPLETION);

    public static Engine readiness(Backend b) {
        return new Engine(b, Model.READINESS);
    }

    /** Every readiness backend, then the completion model. */
    public static Stream<Engine> all() {
        return Stream.concat(Arrays.stream(Backend.values()).map(Engine::readiness), Stream.of(COMPLETION));
    }

    /** The backend the "listening on ... backend=NAME" line names. */
    public String id() {
        return model == Model.COMPLETION ? "io_uring" : backend.id();
    }

    public ServerOptions apply(ServerOptions o) {
        return o.withBackend(backend).withModel(model);
    }

    /** Skips the test, saying why, when this cannot run here. */
    public void assumeAvailable(TestInfo info) {
        if (model == Model.READINESS) {
            Backends.assumeAvailable(backend, info);
            return;
        }
        String reason = Availability.unavailableReason();
        if (reason != null) Backends.skip(Backends.name(info) + " on io_uring completion", reason);
    }

    @Override
    public String toString() {
        return model == Model.COMPLETION ? "io_uring completion" : backend.id();
    }
}
