package io.pollkit.loop;

import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Spreads the connections one {@link Acceptor} accepts over several event loops, round-robin: where the kernel
 * does not spread them over listeners sharing a port (see {@link io.pollkit.sys.Portable#REUSEPORT_SPREADS}). The
 * accepting loop keeps its own turns; every other fd goes into its loop's queue and that loop is asked, with
 * {@link EventLoop#execute}, to take what is queued. An fd still queued when the loops stop (a task never run)
 * is closed by {@link #close()}, so none is lost open.
 *
 * <p>Use it as the acceptor's {@link Acceptor.Accepted}, on the accepting loop's thread; {@link Target#accepted}
 * runs on the thread of the loop the fd went to.
 */
public final class Handoff implements Acceptor.Accepted {
    /** Takes an accepted fd on loop {@code index}'s thread; the callee owns the fd. */
    @FunctionalInterface
    public interface Target {
        void accepted(int index, int fd) throws IOException;
    }

    /** One loop's fds waiting to be taken, and the task that takes them on its thread. */
    private static final class Queued {
        final Queue<Integer> fds = new ConcurrentLinkedQueue<>();
        Runnable drain;
    }

    private final EventLoop[] loops;
    private final int home;
    private final Target target;
    private final Acceptor.Broken broken;
    private final Queued[] queued;
    private int next;

    /**
     * @param loops  the loops that serve the connections, in the order of their turns
     * @param home   the index in {@code loops} of the loop that accepts
     * @param broken told (on the thread of the loop that was given the fd) when {@code target} throws: as an
     *               {@link Acceptor}'s callback that throws, it counts as the listener's failure
     */
    public Handoff(EventLoop[] loops, int home, Target target, Acceptor.Broken broken) {
        if (loops.length == 0) throw new IllegalArgumentException("no loops");
        this.loops = loops.clone();
        this.home = java.util.Objects.checkIndex(home, loops.length);
        this.target = target;
        this.broken = broken;
        this.queued = new Queued[loops.length];
        for (int i = 0; i < loops.length; i++) {
            int index = i;
            queued[i] = new Queued();
            queued[i].drain = () -> drain(index);
        }
    }

    /** The next loop's turn: taken here when it is the accepting loop's, else queued and that loop woken. */
    @Override
    public void accepted(int fd) throws IOException {
        int index = next;
        next = index + 1 == loops.length ? 0 : index + 1;
        if (index == home) {
            target.accepted(index, fd);
            return;
        }
        queued[index].fds.add(fd);
        loops[index].execute(queued[index].drain);
    }

    /** On loop {@code index}'s thread: takes every fd queued for it. */
    private void drain(int index) {
        for (Integer fd; (fd = queued[index].fds.poll()) != null; ) {
            try {
                target.accepted(index, fd);
            } catch (IOException | RuntimeException e) {
                broken.broken(e instanceof IOException io ? io : new IOException(e.toString(), e));
                return;
            }
        }
    }

    /** Closes the fds no loop took. Call it once the loops have stopped. */
    public void close() {
        for (Queued q : queued) {
            for (Integer fd; (fd = q.fds.poll()) != null; ) Unistd.closeQuietly(fd);
        }
    }
}
