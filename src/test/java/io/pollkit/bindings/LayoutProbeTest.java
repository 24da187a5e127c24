package io.pollkit.bindings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.GroupLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds and runs a small C probe (a different path from the generator, which only reads gcc -S
 * output) that prints sizeof, alignof and offsetof of every struct and union in bindings.spec (and of
 * the members of nested ones), the alignment of every field, and the value of every constant the
 * generated header classes hold, and checks the generated classes against it.
 */
class LayoutProbeTest {

    /**
     * A translation unit of the probe: its includes, structs and unions (class -> C type, fields, and
     * the kind of each field: a struct or union of the spec when nested) and header classes.
     */
    private record Unit(StringBuilder includes, Map<String, String> ctypes, Map<String, List<String>> fields,
                        Map<String, String> kinds, List<String> classes) {
        Unit() {
            this(new StringBuilder(), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new ArrayList<>());
        }
    }

    @Test
    void generatedLayoutsAndConstantsMatchTheCompiledProbe(@TempDir Path dir) throws Exception {
        Map<String, Unit> units = readSpec();
        int structs = 0, constants = 0, nested = 0;
        for (Map.Entry<String, Unit> e : units.entrySet()) {
            Unit u = e.getValue();
            String out = compileAndRun(dir, e.getKey(), probe(u));
            for (String line : out.lines().toList()) {
                String[] w = line.split(" ");
                switch (w[0]) {
                    case "struct" -> {
                        GroupLayout l = layoutOf(w[1]);
                        assertEquals(Long.parseLong(w[2]), l.byteSize(), "sizeof " + w[1]);
                        assertEquals(Long.parseLong(w[3]), l.byteAlignment(), "alignof " + w[1]);
                        structs++;
                    }
                    case "field" -> {
                        assertEquals(Long.parseLong(w[3]), layoutOf(w[1]).byteOffset(groupElement(w[2])),
                                "offsetof " + w[1] + "." + w[2]);
                        // The Java layout may not demand more alignment than C gives the member (packed structs).
                        long javaAlign = layoutOf(w[1]).select(groupElement(w[2])).byteAlignment();
                        assertTrue(javaAlign <= Long.parseLong(w[4]), "alignof " + w[1] + "." + w[2] + ": " + javaAlign + " > " + w[4]);
                    }
                    case "nested" -> {
                        GroupLayout l = layoutOf(w[1]);
                        assertEquals(Long.parseLong(w[4]), l.byteOffset(groupElement(w[2]), groupElement(w[3])),
                                "offsetof " + w[1] + "." + w[2] + "." + w[3]);
                        long javaAlign = l.select(groupElement(w[2]), groupElement(w[3])).byteAlignment();
                        assertTrue(javaAlign <= Long.parseLong(w[5]), "alignof " + w[1] + "." + w[2] + "." + w[3]);
                        nested++;
                    }
                    case "const" -> {
                        Method m = Class.forName("io.pollkit.bindings." + w[1]).getMethod(w[2]);
                        long c = Long.parseLong(w[3]);
                        if (m.getReturnType() == int.class) assertEquals((int) c, (int) m.invoke(null), w[1] + "." + w[2] + "()");
                        else assertEquals(c, (long) m.invoke(null), w[1] + "." + w[2] + "()");
                        constants++;
                    }
                    default -> throw new AssertionError("probe printed: " + line);
                }
            }
        }
        assertTrue(structs >= 18 && constants >= 300 && nested >= 4,
                "checked " + structs + " structs, " + nested + " nested members and " + constants + " constants");
    }

    private static GroupLayout layoutOf(String cls) throws Exception {
        return (GroupLayout) Class.forName("io.pollkit.bindings." + cls).getMethod("layout").invoke(null);
    }

    /** The spec's units: "main" for every header and kqueue section, one more per layout section. */
    private static Map<String, Unit> readSpec() throws Exception {
        Map<String, Unit> units = new LinkedHashMap<>();
        Unit unit = null;
        String struct = null;
        for (String raw : Files.readAllLines(Project.DIR.resolve("bindings/bindings.spec"))) {
            String line = raw.replaceAll("#.*", "");
            if (line.isBlank()) continue;
            String[] w = line.trim().split("\\s+");
            if (w[0].equals("header")) {
                unit = units.computeIfAbsent("main", k -> new Unit());
                // os:linux sections (epoll) are compiled on that OS only; this probe runs on the host, Linux
                if (w.length > 2 && w[2].startsWith("os:") && !Platform.NAME.startsWith(w[2].substring(3) + "-")) continue;
                for (int i = 2; i < w.length; i++) {
                    if (!w[i].startsWith("os:")) unit.includes.append("#include ").append(w[i]).append('\n');
                }
                unit.classes.add(w[1]);
            } else if (w[0].equals("kqueue")) {
                unit = units.computeIfAbsent("main", k -> new Unit());
                unit.includes.append("#if __has_include(<sys/event.h>)\n#include <sys/event.h>\n#else\n#include \"kqueue/darwin.h\"\n#endif\n");
                unit.classes.add(w[1]);
            } else if (w[0].equals("layout")) {
                unit = units.computeIfAbsent(w[1], k -> new Unit());
                unit.includes.append("#include \"").append(w[2]).append("\"\n");
                struct = w[1];
            } else if ((w[0].equals("struct") || w[0].equals("union")) && unit != null) {
                String name = units.get("main") == unit ? w[1] : struct;
                String ctype = w.length > 2 ? String.join(" ", List.of(w).subList(2, w.length)) : w[0] + " " + w[1];
                struct = name;
                unit.ctypes.put(name, ctype);
                unit.fields.put(name, new ArrayList<>());
            } else if (raw.startsWith("    ") && struct != null && unit.fields.containsKey(struct)) {
                unit.fields.get(struct).add(w[0]);
                if (w.length > 1) unit.kinds.put(struct + "." + w[0], w[1]);
            }
        }
        return units;
    }

    private static String probe(Unit u) throws Exception {
        StringBuilder c = new StringBuilder("#define _GNU_SOURCE 1\n#include <stdio.h>\n#include <stddef.h>\n").append(u.includes)
                .append("int main(void) {\n");
        for (Map.Entry<String, String> s : u.ctypes.entrySet()) {
            String n = s.getKey(), t = s.getValue();
            c.append("  printf(\"struct ").append(n).append(" %zu %zu\\n\", sizeof(").append(t).append("), __alignof__(")
                    .append(t).append("));\n");
            for (String f : u.fields.get(n)) {
                c.append("  printf(\"field ").append(n).append(' ').append(f).append(" %zu %zu\\n\", offsetof(").append(t)
                        .append(", ").append(f).append("), __alignof__(((").append(t).append(" *)0)->").append(f).append("));\n");
                String inner = u.kinds.get(n + "." + f);
                if (inner == null || !u.fields.containsKey(inner)) continue;
                for (String g : u.fields.get(inner)) {
                    c.append("  printf(\"nested ").append(n).append(' ').append(f).append(' ').append(g)
                            .append(" %zu %zu\\n\", offsetof(").append(t).append(", ").append(f).append('.').append(g)
                            .append("), __alignof__(((").append(t).append(" *)0)->").append(f).append('.').append(g).append("));\n");
                }
            }
        }
        for (String cls : u.classes) {
            // jextract's shape: a private static final field behind each public constant method NAME()
            for (Field f : Class.forName("io.pollkit.bindings." + cls).getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && Modifier.isPrivate(f.getModifiers())
                        && (f.getType() == int.class || f.getType() == long.class)) {
                    // a constant defined on some platforms only (SO_NOSIGPIPE) is printed where the header defines it
                    c.append("#ifdef ").append(f.getName()).append('\n');
                    c.append("  printf(\"const ").append(cls).append(' ').append(f.getName()).append(" %lld\\n\", (long long)(")
                            .append(f.getName()).append("));\n#endif\n");
                }
            }
        }
        return c.append("  return 0;\n}\n").toString();
    }

    private static String compileAndRun(Path dir, String name, String source) throws Exception {
        Path c = dir.resolve(name + ".c"), exe = dir.resolve(name);
        Files.writeString(c, source);
        Project.run(List.of("gcc", "-Wno-deprecated-declarations", "-Wno-cpp", "-I", Project.DIR.resolve("bindings").toString(),
                "-o", exe.toString(), c.toString()));
        return Project.run(List.of(exe.toString()));
    }

}
