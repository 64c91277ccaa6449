package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IpLiteralsTest {
    @Test
    void parsesAddressesButNeverNames() {
        assertThat(IpLiterals.parse("192.0.2.1").getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(IpLiterals.parse("2001:db8::1").getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(IpLiterals.parse("localhost")).isNull();
        assertThat(IpLiterals.parse("mx.example.com")).isNull();
        assertThat(IpLiterals.parse("999.0.0.1")).isNull();
    }

    @Test
    void parsesRfc5321AddressLiterals() {
        assertThat(IpLiterals.parseDomainLiteral("[192.0.2.1]").getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(IpLiterals.parseDomainLiteral("[IPv6:2001:db8::1]").getHostAddress())
                .isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(IpLiterals.parseDomainLiteral("[ipv6:::1]").isLoopbackAddress()).isTrue();
        assertThat(IpLiterals.parseDomainLiteral("[IPv6:192.0.2.1]")).isNull();
        assertThat(IpLiterals.parseDomainLiteral("192.0.2.1")).isNull();
        assertThat(IpLiterals.parseDomainLiteral("[example.com]")).isNull();
        assertThat(IpLiterals.parseDomainLiteral("[]")).isNull();
    }
}
