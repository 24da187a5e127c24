package io.pollkit.bench;

/**
 * ==== JNI HOOK ====
 * The JNI figures are the very same benchmark methods ({@link W4Downcall#getpid}, {@link W4Downcall#poll},
 * {@link W1Sys#round}) run in a fork started with {@code -Dpollkit.transport=jni
 * -Dpollkit.jni.lib=<root>/target/native/libpollkit-jni.so}: io.pollkit.sys.Transport (being added
 * to the main jar) then switches the hot calls of Unistd, Poll, Epoll, Select and Kqueue to JNI.
 * {@link Runner} adds that run when the library exists and says why it skips it otherwise.
 *
 * <p>This guard keeps a JNI run honest: a fork told to use JNI whose pollkit has no
 * {@code io.pollkit.sys.Transport} would measure FFM under the label "jni", so it fails instead.
 */
final class Transport {
    private Transport() {}

    /** The system property that selects the transport, and the value the JNI run gives it. */
    static final String PROPERTY = "pollkit.transport";
    static final String JNI = "jni";
    /** The system property naming the JNI library. */
    static final String LIB_PROPERTY = "pollkit.jni.lib";
    /** The class of the main jar that reads {@link #PROPERTY}. */
    static final String CLASS = "io.pollkit.sys.Transport";

    /** Called from every @Setup that goes through io.pollkit.sys; throws when a JNI run cannot be one. */
    static void check() {
        String wanted = System.getProperty(PROPERTY);
        if (wanted == null || !wanted.equals(JNI)) return;
        try {
            Class.forName(CLASS, true, Transport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("-D" + PROPERTY + "=" + JNI + " but this pollkit jar has no " + CLASS
                    + ": the run would measure FFM and call it JNI");
        }
    }
}
