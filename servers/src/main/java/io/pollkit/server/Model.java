package io.pollkit.server;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a server is driven: what {@code --model} chooses. */
public enum Model {
    /** An event loop waits for readiness (select, poll, epoll, kqueue) and then reads and writes: the default. */
    READINESS("readiness"),
    /**
     * io_uring's completion model: the kernel accepts, receives into provided buffers and sends, and the loop
     * handles what has completed, one io_uring_enter per turn (Linux 6.0 or later).
     */
    COMPLETION("completion");

    private final String id;

    Model(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The model named {@code id}; IllegalArgumentException naming the choices otherwise. */
    public static Model of(String id) {
        for (Model m : values()) if (m.id.equals(id)) return m;
        throw new IllegalArgumentException("unknown model '" + id + "'; choose one of "
                + Arrays.stream(values()).map(Model::id).collect(Collectors.joining(", ")));
    }
}
