package io.pollkit.poller;

import java.lang.reflect.Method;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM's native memory tracking (NMT), read in-process through the DiagnosticCommand MBean: FFM arenas
 * allocate with malloc under NMT's "Other" category, which no other JDK counter sees. The library's tests run
 * with -XX:NativeMemoryTracking=summary (pom.xml). Reflection, because the tests are patched into the
 * io.pollkit module, which does not read java.management (reflection needs no readability).
 */
final class NativeMemory {
    private NativeMemory() {}

    private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB");

    /** KiB reserved under "Other", or why it cannot be read (NMT off, no java.management) as an exception. */
    static long otherKiB() throws Exception {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Object server = factory.getMethod("getPlatformMBeanServer").invoke(null);
        Class<?> objectName = Class.forName("javax.management.ObjectName");
        Object name = objectName.getConstructor(String.class).newInstance("com.sun.management:type=DiagnosticCommand");
        Method invoke = Class.forName("javax.management.MBeanServerConnection")
                .getMethod("invoke", objectName, String.class, Object[].class, String[].class);
        String text = (String) invoke.invoke(server, name, "vmNativeMemory", new Object[] {new String[] {"summary"}},
                new String[] {String[].class.getName()});
        Matcher m = OTHER.matcher(text);
        if (!m.find()) throw new IllegalStateException("no NMT summary (run with -XX:NativeMemoryTracking=summary): " + text.strip());
        return Long.parseLong(m.group(1));
    }
}
