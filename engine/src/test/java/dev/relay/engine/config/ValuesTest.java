package dev.relay.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValuesTest {
    @Test
    void sizes() {
        assertThat(Sizes.parse("123")).isEqualTo(123);
        assertThat(Sizes.parse("10KB")).isEqualTo(10240);
        assertThat(Sizes.parse("30MB")).isEqualTo(31457280);
        assertThat(Sizes.parse("30mib")).isEqualTo(31457280);
        assertThat(Sizes.parse("1GB")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("2 K")).isEqualTo(2048);
        for (String bad : new String[] {"-1", "", "MB", "1.5MB", "10XB", "99999999999999999999", "9999999999TB"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void durations() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
        for (String bad : new String[] {"5", "-5s", "PT-5M", "5 minutes", "P", ""}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void hostPort() {
        assertThat(HostPort.parse("127.0.0.1:2525")).isEqualTo(new HostPort("127.0.0.1", 2525));
        assertThat(HostPort.parse("[::1]:25")).isEqualTo(new HostPort("::1", 25));
        assertThat(HostPort.parse("mx.example:0").port()).isZero();
        assertThat(HostPort.parse("[::1]:25")).hasToString("[::1]:25");
        for (String bad : new String[] {"host", ":25", "h:", "h:-1", "h:65536", "::1:25", "[::1]25", "h:2x"}) {
            assertThatThrownBy(() -> HostPort.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void cidr() throws Exception {
        Cidr loop = Cidr.parse("127.0.0.0/8");
        assertThat(loop.contains(InetAddress.getByName("127.1.2.3"))).isTrue();
        assertThat(loop.contains(InetAddress.getByName("128.0.0.1"))).isFalse();
        assertThat(loop.contains(InetAddress.getByName("::1"))).isFalse();
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 9};
        assertThat(loop.contains(Inet6Address.getByAddress(null, mapped, -1))).isTrue();
        Cidr odd = Cidr.parse("10.1.2.3/23");
        assertThat(odd).hasToString("10.1.2.0/23");
        assertThat(odd.contains(InetAddress.getByName("10.1.3.255"))).isTrue();
        assertThat(odd.contains(InetAddress.getByName("10.1.4.0"))).isFalse();
        Cidr v6 = Cidr.parse("2001:db8::/32");
        assertThat(v6.contains(InetAddress.getByName("2001:db8:ffff::1"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("2001:db9::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
        assertThat(Cidr.parse("192.0.2.1").prefix()).isEqualTo(32);
        for (String bad : new String[] {"10.0.0.0/33", "::/129", "256.0.0.0/8", "example.com", "10.0.0.0/", "10/8", "1.2.3.4/x"}) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
