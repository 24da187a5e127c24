package io.pollkit.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The order of the members in each round, the plan's groups, and how rounds fold back into one figure. */
class RoundsTest {
    @Test
    void threeMembersVisitEveryOrder() {
        List<String> m = List.of("A", "B", "C");
        List<String> seen = new ArrayList<>();
        for (int r = 0; r < 6; r++) seen.add(String.join("", Rounds.order(m, r)));
        assertEquals(List.of("ABC", "CBA", "BCA", "ACB", "CAB", "BAC"), seen);
        assertEquals(m, List.of("A", "B", "C"));   // the members' own list is left alone
    }

    @Test
    void eachPairOfRoundsMirrorsThePositions() {
        for (int size = 1; size <= 7; size++) {
            List<Integer> m = members(size);
            for (int r = 0; r < 4 * size; r += 2) {
                List<Integer> even = Rounds.order(m, r), odd = Rounds.order(m, r + 1);
                for (int i = 0; i < size; i++) {
                    // member at position i in round r is at size-1-i in round r+1: its mean position is the middle
                    assertEquals(even.get(i), odd.get(size - 1 - i), "size " + size + " round " + r);
                }
            }
        }
    }

    @Test
    void everyRoundIsAPermutationAndEveryPositionIsTakenTwice() {
        for (int size = 1; size <= 7; size++) {
            List<Integer> m = members(size);
            int[][] count = new int[size][size];   // [member][position]
            for (int r = 0; r < 2 * size; r++) {
                List<Integer> o = Rounds.order(m, r);
                assertEquals(size, new HashSet<>(o).size(), "round " + r + " repeats a member: " + o);
                for (int pos = 0; pos < size; pos++) count[o.get(pos)][pos]++;
            }
            for (int member = 0; member < size; member++) {
                for (int pos = 0; pos < size; pos++) {
                    assertEquals(2, count[member][pos], "size " + size + ": member " + member + " at position " + pos);
                }
            }
        }
        assertEquals(List.of(), Rounds.order(List.of(), 3));
        assertThrows(IllegalArgumentException.class, () -> Rounds.order(List.of(1), -1));
    }

    @Test
    void theFirstRoundKeepsThePlanOrder() {
        List<Integer> m = members(5);
        assertEquals(m, Rounds.order(m, 0));
        assertEquals(m.reversed(), Rounds.order(m, 1));
    }

    @Test
    void groupsAreRunsOfTheSameCase() {
        List<String> cmd = List.of("/x/w1-dispatch");
        Case c1 = Case.c("W1", "epoll", null, 10, 1, cmd);
        Case f1 = Case.jmh("W1", "ffm", "epoll", null, 10, 1, W1Sys.class, "round", Map.of(), List.of());
        Case c2 = Case.c("W1", "epoll", null, 1000, 1, cmd);
        Case f2 = Case.jmh("W1", "ffm", "epoll", null, 1000, 1, W1Sys.class, "round", Map.of(), List.of()).skipped("why");
        Case g = Case.c("W4", null, "getpid", null, null, List.of("/x/w4-downcall"));
        Case q = Case.server("W3", "c", "epoll", "quiet", 100, List.of("/x/tick-server"));
        Case d = Case.server("W3", "c", "epoll", "disturbed", 100, List.of("/x/tick-server"));
        assertEquals(List.of(List.of(c1, f1), List.of(c2, f2), List.of(g), List.of(q), List.of(d)),
                Rounds.groups(List.of(c1, f1, c2, f2, g, q, d)));
        assertEquals(true, Rounds.interleaved(c1) && Rounds.interleaved(g));
        assertEquals(false, Rounds.interleaved(q));
    }

    @Test
    void roundsFoldIntoOneFigure() {
        List<Result> rs = List.of(
                fig("ffm", 1, 100, 90, 120, 3, 0.0), fig("c", 1, 80, 79, 81, 5, null),
                fig("ffm", 2, 130, 125, 200, 3, 0.5), fig("c", 2, 82, 70, 90, 5, null),
                fig("ffm", 3, 110, 105, 115, 3, 0.25),
                Result.notMeasured(Case.c("W1", "poll", null, 10, 1, List.of("x")), Result.FAILED, "boom"),
                new Result("W3", "pollkit", "epoll", 100, null, "quiet", "dev_p99_us", "us", 5.0, 5.0, 5.0, 1, null,
                        "lower", "t", Result.OK, null));
        List<Result> out = Rounds.combine(rs);
        assertEquals(4, out.size());
        Result ffm = out.get(0);
        assertEquals("ffm", ffm.impl());
        assertEquals(110.0, ffm.median());   // the median of 100, 130, 110
        assertEquals(90.0, ffm.min());
        assertEquals(200.0, ffm.max());
        assertEquals(9, ffm.samples());
        assertEquals(0.25, ffm.allocBytesPerOp());
        assertNull(ffm.round());
        Result c = out.get(1);
        assertEquals(81.0, c.median());   // two rounds: the mean of the middle two
        assertEquals(70.0, c.min());
        assertEquals(90.0, c.max());
        assertNull(c.allocBytesPerOp());
        assertEquals(Result.FAILED, out.get(2).status());
        assertEquals("W3", out.get(3).workload());
    }

    private static Result fig(String impl, int round, double median, double min, double max, int samples, Double alloc) {
        return new Result("W1", impl, "epoll", 1000, 1, null, "ns_per_round", "ns/round", median, min, max, samples, alloc,
                "lower", "test", Result.OK, null, round);
    }

    private static List<Integer> members(int size) {
        List<Integer> m = new ArrayList<>();
        for (int i = 0; i < size; i++) m.add(i);
        return m;
    }
}
