# C's and pollkit's perf splits (bench/profile-perf-dso.awk's "category samples µs" lines: C's file first, then
# pollkit's) in one markdown table, for bench/profile. The server's own code is one row: C's binary against pollkit's
# JIT-compiled code, libjvm and vDSO, since that is where each server's work outside the kernel and libc runs. Each
# column comes from its own run and the machine's speed moves between runs, so each figure carries its share of its
# server's total: the shares are what compare.

FNR == 1 { f++ }

{
    row = $1 == "jit" || $1 == "jvm" || $1 == "vdso" || $1 == "program" ? "own" : $1
    v[f, row] += $3
    total[f] += $3
}

END {
    label["kernel"] = "the kernel"
    label["libc"] = "libc"
    label["own"] = "the server's own code (C: its binary; pollkit: JIT code, libjvm, vDSO)"
    label["other"] = "other"
    print "| code | c, µs | c, share | pollkit, µs | pollkit, share | pollkit − c, µs |"
    print "|---|---:|---:|---:|---:|---:|"
    n = split("kernel libc own other", rows, " ")
    for (i = 1; i <= n; i++) {
        r = rows[i]
        if (v[1, r] + v[2, r] == 0) continue
        printf "| %s | %.2f | %s | %.2f | %s | %+.2f |\n", label[r], v[1, r], share(v[1, r], total[1]), \
            v[2, r], share(v[2, r], total[2]), v[2, r] - v[1, r]
    }
    printf "| all | %.2f | 100%% | %.2f | 100%% | %+.2f |\n", total[1], total[2], total[2] - total[1]
}

function share(x, t) {
    return t > 0 ? sprintf("%.1f%%", 100 * x / t) : "-"
}
