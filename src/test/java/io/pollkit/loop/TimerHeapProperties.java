package io.pollkit.loop;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The timer heap against a sorted list: random schedules with many equal deadlines (ties go by scheduling
 * order), removals of any timer (as a cancel from inside a task does), removals of timers already gone, pops
 * of the earliest, and growth well past the initial capacity.
 */
class TimerHeapProperties {
    /** An operation: 0 add (with a deadline), 1 remove the {@code pick}-th timer ever added, 2 pop the earliest. */
    record Op(int kind, long deadline, int pick) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.integers().between(0, 9).flatMap(k -> {
            int kind = k < 5 ? 0 : k < 8 ? 1 : 2;
            return Arbitraries.longs().between(-20, 20).flatMap(d ->
                    Arbitraries.integers().between(0, 400).map(p -> new Op(kind, Long.MAX_VALUE - 10 + d, p)));
        });
        return op.list().ofMaxSize(400);
    }

    @Property(tries = 300)
    void behavesLikeASortedList(@ForAll("ops") List<Op> ops) {
        TimerHeap heap = new TimerHeap();
        List<Timer> added = new ArrayList<>(), model = new ArrayList<>();
        // Deadlines near Long.MAX_VALUE wrap around: the heap compares them as System.nanoTime values, by difference.
        Comparator<Timer> order = (a, b) -> a.deadline != b.deadline ? Long.signum(a.deadline - b.deadline) : Long.compare(a.seq, b.seq);
        long seq = 0;
        for (Op op : ops) {
            switch (op.kind()) {
                case 0 -> {
                    Timer t = new Timer(null, () -> {}, op.deadline(), 0);
                    t.seq = seq++;
                    heap.add(t);
                    added.add(t);
                    model.add(t);
                }
                case 1 -> {
                    if (added.isEmpty()) continue;
                    Timer t = added.get(op.pick() % added.size());
                    heap.remove(t);   // a second remove of the same timer is a no-op
                    model.remove(t);
                    assertFalse(t.isScheduled());
                }
                default -> {
                    Timer first = heap.peek();
                    if (model.isEmpty()) {
                        assertNull(first);
                        continue;
                    }
                    Timer expected = model.stream().min(order).orElseThrow();
                    assertSame(expected, first, "the earliest timer");
                    heap.remove(first);
                    model.remove(first);
                }
            }
            for (Timer t : added) assertEquals(model.contains(t), t.isScheduled());
        }
        model.sort(order);
        for (Timer expected : model) {
            assertSame(expected, heap.peek());
            heap.remove(expected);
        }
        assertNull(heap.peek());
        assertTrue(added.stream().noneMatch(Timer::isScheduled));
    }
}
