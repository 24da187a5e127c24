package io.pollkit.server;

import io.pollkit.sys.Portable;

/** How the event loops of a server with several ({@code --loops}) get their connections ({@code --accept}). */
public enum AcceptMode {
    /** {@link #REUSEPORT} where the kernel spreads connections over the listeners (Linux), else {@link #HANDOFF}. */
    AUTO("auto"),
    /** Each loop listens on the same port with SO_REUSEPORT and accepts its own connections; the kernel spreads them. */
    REUSEPORT("reuseport"),
    /** The first loop alone listens and accepts, and hands each new fd to the next loop, round-robin (itself included). */
    HANDOFF("handoff");

    private final String id;

    AcceptMode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** What AUTO means here; the others as they are. */
    public AcceptMode resolved() {
        return this != AUTO ? this : Portable.REUSEPORT_SPREADS ? REUSEPORT : HANDOFF;
    }

    /** The mode named {@code id}; IllegalArgumentException naming the choices. */
    public static AcceptMode of(String id) {
        for (AcceptMode m : values()) if (m.id.equals(id)) return m;
        throw new IllegalArgumentException("--accept must be auto, reuseport or handoff, not '" + id + "'");
    }
}
