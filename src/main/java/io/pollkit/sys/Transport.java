package io.pollkit.sys;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the hot calls reach the C library: through FFM downcalls (the default) or through the JNI twin,
 * {@code libpollkit-jni} ({@code native/jni/}). Chosen once per JVM with {@code -Dpollkit.transport=ffm|jni};
 * the backends, the EINTR/EAGAIN policies and the exception messages are the same over both.
 *
 * <p>Over JNI: {@code Unistd.read/write/getpid}, {@code Poll.poll}, {@code Select.select},
 * {@code Epoll.epoll_wait/epoll_ctl} and {@code Kqueue.kevent}. Every other call stays FFM. The library
 * is loaded when this class initializes: from {@code -Dpollkit.jni.lib} when set, else from the pollkit jar
 * itself, which carries it as {@code META-INF/native/<os>-<arch>/libpollkit-jni.so} (os-arch as
 * {@link io.pollkit.bindings.Platform#NAME}); that copy is extracted to a private temporary file in
 * {@code java.io.tmpdir}, loaded, and deleted at once. An unknown transport, or a library that is missing,
 * not loadable here or built from another version, fails this class's initialization with one message
 * naming what was looked for, so the first call fails.
 */
public enum Transport {
    FFM, JNI;

    /** The system property choosing the transport: {@code ffm} (the default) or {@code jni}. */
    public static final String PROPERTY = "pollkit.transport";
    /**
     * The system property naming the JNI library file (absolute or relative to the working directory), instead
     * of the one the jar carries.
     */
    public static final String LIBRARY_PROPERTY = "pollkit.jni.lib";

    /** This JVM's transport. */
    public static final Transport CURRENT = selected();

    // Tested on every hot call: a static final, so the JIT folds the branch not taken away.
    static final boolean JNI_SELECTED = CURRENT == JNI;

    /** The lower-case name {@code -Dpollkit.transport} takes: ffm, jni. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The transport named {@code id}; IllegalArgumentException listing the choices otherwise. */
    public static Transport of(String id) {
        for (Transport t : values()) if (t.id().equals(id)) return t;
        throw new IllegalArgumentException("-D" + PROPERTY + ": unknown transport '" + id + "'; choose one of "
                + Arrays.stream(values()).map(Transport::id).collect(Collectors.joining(", ")));
    }

    private static Transport selected() {
        Transport t = of(System.getProperty(PROPERTY, "ffm"));
        if (t == JNI) Jni.load();   // a missing library fails now, not at the first read
        return t;
    }
}
