package io.pollkit.loop;

import java.util.Arrays;

/** A binary min-heap of timers by deadline (libuv's timer heap), with O(log n) removal. */
final class TimerHeap {
    private Timer[] heap = new Timer[16];
    private int size;

    Timer peek() {
        return size == 0 ? null : heap[0];
    }

    void add(Timer t) {
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        heap[size] = t;
        t.heapIndex = size;
        up(size++);
    }

    void remove(Timer t) {
        int i = t.heapIndex;
        if (i < 0) return;
        Timer last = heap[--size];
        heap[size] = null;
        t.heapIndex = -1;
        if (i == size) return;
        heap[i] = last;
        last.heapIndex = i;
        up(i);
        down(last.heapIndex);
    }

    private void up(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!t.before(heap[p])) break;
            place(heap[p], i);
            i = p;
        }
        place(t, i);
    }

    private void down(int i) {
        Timer t = heap[i];
        for (;;) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1].before(heap[c])) c++;
            if (!heap[c].before(t)) break;
            place(heap[c], i);
            i = c;
        }
        place(t, i);
    }

    private void place(Timer t, int i) {
        heap[i] = t;
        t.heapIndex = i;
    }
}
