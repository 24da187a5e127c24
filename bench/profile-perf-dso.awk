# Splits `perf report --sort dso -F sample,dso` (samples, then the shared object each landed in) into where the
# code lives, for bench/profile: the kernel, libc (the syscall wrappers, memcpy, errno's address), the C server's
# own binary, and for a JVM its JIT-compiled code (perf names anonymous executable memory "[JIT] tid N"), libjvm
# and the vDSO's clock. Prints "category samples µs" lines, µs being the category's share of -v us=X (the run's
# CPU per request).

/^#/ || NF < 2 { next }

{
    n = $1
    dso = $2
    c = dso == "[kernel.kallsyms]" ? "kernel" \
        : dso ~ /^libc[.-]/ ? "libc" \
        : dso == "[vdso]" ? "vdso" \
        : dso == "[JIT]" || dso == "[unknown]" || dso ~ /^perf-/ ? "jit" \
        : dso ~ /^libjvm/ ? "jvm" \
        : dso ~ /^http-hello/ ? "program" \
        : "other"
    by[c] += n
    total += n
}

END {
    for (c in by) printf "%s %d %.4f\n", c, by[c], us * by[c] / total
}
