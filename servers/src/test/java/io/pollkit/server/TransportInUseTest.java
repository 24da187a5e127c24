package io.pollkit.server;

import io.pollkit.sys.Transport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The servers' tests run over the transport the build asked for (-Dpollkit.transport; FFM when unset), not another. */
class TransportInUseTest {

    @Test
    void theRequestedTransportIsTheOneInUse() {
        String requested = System.getProperty(Transport.PROPERTY, Transport.FFM.id());
        assertEquals(Transport.of(requested), Transport.CURRENT, "the transport in use");
        System.out.println("servers' tests over " + Transport.CURRENT.id());
    }
}
