package io.pollkit.server;

import java.io.IOException;

/** A running server, whichever loop drives it: the readiness {@link LoopServer}s and the io_uring {@link UringServer}s. */
public interface Server extends AutoCloseable {
    /**
     * Prints the listening line and runs until {@link #stop()}; then closes every client and the listener.
     *
     * @throws IOException when the server ended because its listener broke (accept failed with EBADF, EINVAL, ...)
     */
    void run() throws IOException;

    /** Safe from any thread (a signal handler): makes {@link #run()} return. */
    void stop();

    /** {@code HOST:PORT} with the real port. */
    String hostPort();

    int port();

    /** The clients connected now (the loop's thread's count; a test's rough view from another thread). */
    int clientCount();

    /** The clients served at once: {@code --max-clients}, or the default derived from the fd limit. */
    int maxClients();

    /** Closes every client and the listener. */
    @Override
    void close();
}
