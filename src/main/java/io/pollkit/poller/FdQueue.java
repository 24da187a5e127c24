package io.pollkit.poller;

import java.util.Arrays;

/**
 * A first-in first-out queue of fds that grows and never shrinks: no allocation once it has reached the size a
 * workload needs. The caller keeps its own "queued" mark per fd, so an fd may appear twice (queued, dropped,
 * queued again) and the caller skips the entry whose mark is gone.
 */
final class FdQueue {
    private int[] fds = new int[64];
    private int head, size;

    boolean isEmpty() {
        return size == 0;
    }

    void add(int fd) {
        if (size == fds.length) {
            int[] bigger = new int[fds.length * 2];
            for (int i = 0; i < size; i++) bigger[i] = fds[(head + i) & (fds.length - 1)];
            fds = bigger;
            head = 0;
        }
        fds[(head + size) & (fds.length - 1)] = fd;
        size++;
    }

    /** The oldest fd, removed; the queue must not be empty. */
    int poll() {
        int fd = fds[head];
        head = (head + 1) & (fds.length - 1);
        size--;
        return fd;
    }

    void clear() {
        head = size = 0;
        Arrays.fill(fds, 0);
    }
}
