package io.pollkit.probe;

import io.pollkit.sys.Transport;
import io.pollkit.sys.Unistd;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by JniLoadingIT in a child JVM, with only the public API: selects the transport (which loads the JNI
 * library or fails naming what it looked for), makes one call over it, and prints where the kernel mapped
 * the library from. In a package of its own so that it runs beside the library's jar on the module path too.
 */
public final class JniLoadProbe {
    private JniLoadProbe() {}

    public static void main(String[] args) throws Exception {
        System.out.println("transport=" + Transport.CURRENT.id());
        System.out.println("getpid ok=" + (Unistd.getpid() == ProcessHandle.current().pid()));
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.contains("libpollkit-jni")) {
                System.out.println("mapped " + line.substring(line.indexOf('/')));
                break;
            }
        }
    }
}
