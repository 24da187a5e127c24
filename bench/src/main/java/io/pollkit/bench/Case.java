package io.pollkit.bench;

import java.util.List;
import java.util.Map;

/**
 * One planned measurement: a JMH benchmark method with its parameters and extra fork arguments, or a C
 * baseline program with its arguments; or a case that cannot run here, with the reason
 * ({@code skip != null}).
 */
record Case(String workload, String impl, String backend, String kase, Integer n, Integer k,
            String benchmark, Map<String, String> params, List<String> jvmArgs,
            List<String> command,
            String skip) {

    static Case jmh(String workload, String impl, String backend, String kase, Integer n, Integer k,
                    Class<?> type, String method, Map<String, String> params, List<String> jvmArgs) {
        return new Case(workload, impl, backend, kase, n, k, type.getName() + "." + method, params, jvmArgs, null, null);
    }

    static Case c(String workload, String backend, String kase, Integer n, Integer k, List<String> command) {
        return new Case(workload, "c", backend, kase, n, k, null, Map.of(), List.of(), command, null);
    }

    /**
     * The C baseline run as a multi-threaded process (impl {@code c-mt}, {@code --idle-threads=1}): a JVM is
     * always one, and Linux's fdget() then takes a file reference for every fd select and poll look at.
     */
    static Case cMultiThreaded(String workload, String backend, Integer n, Integer k, List<String> command) {
        List<String> argv = new java.util.ArrayList<>(command);
        argv.add("--idle-threads=1");
        return new Case(workload, "c-mt", backend, null, n, k, null, Map.of(), List.of(), List.copyOf(argv), null);
    }

    /** A server under load (W2, W3): {@code command} starts it; the workload's driver loads and measures it. */
    static Case server(String workload, String impl, String backend, String kase, Integer n, List<String> command) {
        return new Case(workload, impl, backend, kase, n, null, null, Map.of(), List.of(), command, null);
    }

    boolean isServer() {
        return benchmark == null && (workload.equals("W2") || workload.equals("W3"));
    }

    Case skipped(String reason) {
        return new Case(workload, impl, backend, kase, n, k, benchmark, params, jvmArgs, command, reason);
    }

    boolean isJmh() {
        return benchmark != null;
    }

    String label() {
        return label(workload, impl, backend, kase, n, k);
    }

    static String label(String workload, String impl, String backend, String kase, Integer n, Integer k) {
        StringBuilder b = new StringBuilder(workload).append(' ').append(impl);
        if (backend != null) b.append(' ').append(backend);
        if (kase != null) b.append(' ').append(kase);
        if (n != null) b.append(" n=").append(n);
        if (k != null) b.append(" k=").append(k);
        return b.toString();
    }
}
