package io.pollkit.sys;

import io.pollkit.bindings.Platform;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Choosing the transport. Runs in the default execution, which sets no -Dpollkit.transport: everything
 * there goes over FFM. A bad choice is tried on a fresh copy of the class, in a class loader of its own.
 */
class TransportTest {

    @Test
    void theDefaultIsFfm() {
        assertEquals(Transport.FFM, Transport.CURRENT);
        assertFalse(Transport.JNI_SELECTED);
    }

    @Test
    void namesRoundTrip() {
        for (Transport t : Transport.values()) assertEquals(t, Transport.of(t.id()));
        assertEquals("ffm", Transport.FFM.id());
        assertEquals("jni", Transport.JNI.id());
    }

    @Test
    void anUnknownNameListsTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transport.of("JNI"));
        assertEquals("-Dpollkit.transport: unknown transport 'JNI'; choose one of ffm, jni", e.getMessage());
    }

    @Test
    void anUnknownPropertyFailsTheFirstCall() throws Exception {
        Throwable e = initializeWith("nope", null);
        assertInstanceOf(ExceptionInInitializerError.class, e);
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals("-Dpollkit.transport: unknown transport 'nope'; choose one of ffm, jni", e.getCause().getMessage());
    }

    @Test
    void aMissingLibraryIsNamed() throws Exception {
        Throwable e = initializeWith("jni", "/nonexistent/libpollkit-jni.so");
        assertInstanceOf(UnsatisfiedLinkError.class, e);
        assertEquals("-Dpollkit.transport=jni on " + Platform.NAME
                + ": -Dpollkit.jni.lib=/nonexistent/libpollkit-jni.so: no such file", e.getMessage());
    }

    /** Initializes a fresh Transport under these properties; returns what it threw. */
    private static Throwable initializeWith(String transport, String library) throws Exception {
        Transport.CURRENT.id();   // this JVM's own Transport is settled before the properties change
        URL classes = Transport.class.getProtectionDomain().getCodeSource().getLocation();
        String oldTransport = System.setProperty(Transport.PROPERTY, transport);
        String oldLibrary = library == null ? System.clearProperty(Transport.LIBRARY_PROPERTY)
                : System.setProperty(Transport.LIBRARY_PROPERTY, library);
        // Parent: the boot loader. The platform loader would hand io.pollkit.* to the module already loaded.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, null)) {
            return assertThrows(Throwable.class, () -> Class.forName(Transport.class.getName(), true, loader));
        } finally {
            restore(Transport.PROPERTY, oldTransport);
            restore(Transport.LIBRARY_PROPERTY, oldLibrary);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
