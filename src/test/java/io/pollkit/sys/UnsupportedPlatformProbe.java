package io.pollkit.sys;

/** Run in a child JVM with a fake os.name: the first syscall must fail naming the platform. */
public final class UnsupportedPlatformProbe {
    private UnsupportedPlatformProbe() {}

    public static void main(String[] args) {
        Unistd.getpid();
    }
}
