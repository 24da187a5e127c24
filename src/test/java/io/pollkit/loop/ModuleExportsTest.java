package io.pollkit.loop;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The library's module exports exactly what a user calls; the backends' helpers and the FFM plumbing stay inside. */
class ModuleExportsTest {
    @Test
    void exportsOnlyThePublicApi() {
        ModuleDescriptor module = EventLoop.class.getModule().getDescriptor();
        assertNotNull(module, "the tests run on the module path, as io.pollkit");
        assertEquals("io.pollkit", module.name());
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : module.exports()) {
            assertEquals(Set.of(), e.targets(), "no qualified exports: " + e);
            exported.add(e.source());
        }
        assertEquals(Set.of("io.pollkit.bindings", "io.pollkit.loop", "io.pollkit.poller", "io.pollkit.sys", "io.pollkit.uring"), exported);
        assertEquals(Set.of("java.base"), new TreeSet<>(module.requires().stream().map(ModuleDescriptor.Requires::name).toList()),
                "no runtime dependency but java.base");
    }
}
