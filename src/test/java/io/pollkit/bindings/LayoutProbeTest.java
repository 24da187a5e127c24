package io.pollkit.bindings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.GroupLayout;
import java.lang.reflect.Field;
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
 * output) that prints sizeof, alignof and offsetof of every struct in bindings.spec and the value of
 * every constant the generated header classes hold, and checks the generated classes against it.
 */
class LayoutProbeTest {

    /** A translation unit of the probe: its includes, structs (class -> C type, fields) and header classes. */
    private record Unit(StringBuilder includes, Map<String, String> ctypes, Map<String, List<String>> fields, List<String> classes) {
        Unit() {
            this(new StringBuilder(), new LinkedHashMap<>(), new LinkedHashMap<>(), new ArrayList<>());
        }
    }

    @Test
    void generatedLayoutsAndConstantsMatchTheCompiledProbe(@TempDir Path dir) throws Exception {
        Map<String, Unit> units = readSpec();
        int structs = 0, constants = 0;
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
                    case "field" -> assertEquals(Long.parseLong(w[3]), layoutOf(w[1]).byteOffset(groupElement(w[2])),
                            "offsetof " + w[1] + "." + w[2]);
                    case "const" -> {
                        Field f = Class.forName("io.pollkit.bindings." + w[1]).getField(w[2]);
                        long c = Long.parseLong(w[3]);
                        if (f.getType() == int.class) assertEquals((int) c, f.getInt(null), w[1] + "." + w[2]);
                        else assertEquals(c, f.getLong(null), w[1] + "." + w[2]);
                        constants++;
                    }
                    default -> throw new AssertionError("probe printed: " + line);
                }
            }
        }
        assertTrue(structs >= 17 && constants >= 300, "checked " + structs + " structs and " + constants + " constants");
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
                for (int i = 2; i < w.length; i++) unit.includes.append("#include ").append(w[i]).append('\n');
                unit.classes.add(w[1]);
            } else if (w[0].equals("kqueue")) {
                unit = units.computeIfAbsent("main", k -> new Unit());
                unit.includes.append("#if __has_include(<sys/event.h>)\n#include <sys/event.h>\n#else\n#include \"kqueue/darwin.h\"\n#endif\n");
                unit.classes.add(w[1]);
            } else if (w[0].equals("layout")) {
                unit = units.computeIfAbsent(w[1], k -> new Unit());
                unit.includes.append("#include \"").append(w[2]).append("\"\n");
                struct = w[1];
            } else if (w[0].equals("struct") && unit != null) {
                String name = units.get("main") == unit ? w[1] : struct;
                String ctype = w.length > 2 ? String.join(" ", List.of(w).subList(2, w.length)) : "struct " + w[1];
                struct = name;
                unit.ctypes.put(name, ctype);
                unit.fields.put(name, new ArrayList<>());
            } else if (raw.startsWith("    ") && struct != null && unit.fields.containsKey(struct)) {
                unit.fields.get(struct).add(w[0]);
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
                c.append("  printf(\"field ").append(n).append(' ').append(f).append(" %zu\\n\", offsetof(").append(t)
                        .append(", ").append(f).append("));\n");
            }
        }
        for (String cls : u.classes) {
            for (Field f : Class.forName("io.pollkit.bindings." + cls).getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && (f.getType() == int.class || f.getType() == long.class)) {
                    c.append("  printf(\"const ").append(cls).append(' ').append(f.getName()).append(" %lld\\n\", (long long)(")
                            .append(f.getName()).append("));\n");
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
