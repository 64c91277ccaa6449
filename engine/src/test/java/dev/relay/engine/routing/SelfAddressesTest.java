package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which next-hop addresses count as this relay for loop detection. */
class SelfAddressesTest {
    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void loopbackAndWildcardAreAlwaysSelf() throws Exception {
        for (String a : List.of("127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::")) {
            assertThat(SelfAddresses.LOOPBACK.isSelf(ip(a))).as(a).isTrue();
        }
        assertThat(SelfAddresses.LOOPBACK.isSelf(ip("192.0.2.1"))).isFalse();
    }

    @Test
    void aSpecificListenAddressIsSelfOthersAreNot() throws Exception {
        SelfAddresses self = SelfAddresses.listeningOn("192.0.2.25");
        assertThat(self.isSelf(ip("192.0.2.25"))).isTrue();
        assertThat(self.isSelf(ip("192.0.2.26"))).isFalse();
        assertThat(SelfAddresses.of(Set.of(ip("2001:db8::25"))).isSelf(ip("2001:db8:0::25"))).isTrue();
    }

    @Test
    void aWildcardListenerIsEveryInterfaceAddress() throws Exception {
        SelfAddresses self = SelfAddresses.listeningOn("0.0.0.0");
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                assertThat(self.isSelf(address)).as(address.toString()).isTrue();
            }
        }
        assertThat(self.isSelf(ip("192.0.2.1"))).as("TEST-NET-1 is nobody's interface").isFalse();
    }
}
