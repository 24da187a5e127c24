package io.pollkit.sys;

import io.pollkit.bindings.errno_h;

/** errno values: their symbolic names, from the generated table. */
public final class Errno {
    private Errno() {}

    /** The symbolic name of {@code errno} (EAGAIN rather than its alias EWOULDBLOCK), or {@code E<number>}. */
    public static String name(int errno) {
        String name = errno_h.name(errno);
        return name != null ? name : "E" + errno;
    }
}
