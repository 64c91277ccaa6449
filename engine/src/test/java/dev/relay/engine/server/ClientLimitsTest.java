package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.ClientLimitsConfig;
import dev.relay.engine.server.ClientLimits.Admission;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address limits on a fake clock. */
class ClientLimitsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final InetAddress a = address("192.0.2.1");
    private final InetAddress b = address("192.0.2.2");

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private ClientLimits limits(int perIp, int perMinute, int authFailures) {
        return new ClientLimits(new ClientLimitsConfig(perIp, perMinute, authFailures, Duration.ofSeconds(1), 100),
                List.of(Cidr.parse("10.0.0.0/8")), now::get);
    }

    @Test
    void concurrentConnectionsPerAddress() {
        ClientLimits limits = limits(2, 0, 0);
        assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
        assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
        assertThat(limits.connect(a)).isEqualTo(Admission.TOO_MANY_CONNECTIONS);
        assertThat(limits.connect(b)).as("another address").isEqualTo(Admission.ADMITTED);
        limits.disconnect(a);
        assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
        limits.disconnect(a);
        limits.disconnect(a);
        limits.disconnect(b);
        assertThat(limits.trackedOpen()).as("no entry left for closed connections").isZero();
    }

    @Test
    void newConnectionsPerMinuteInFixedWindows() {
        ClientLimits limits = limits(0, 3, 0);
        for (int i = 0; i < 3; i++) {
            assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
        }
        assertThat(limits.connect(a)).isEqualTo(Admission.TOO_MANY_NEW_CONNECTIONS);
        assertThat(limits.connect(b)).isEqualTo(Admission.ADMITTED);
        now.addAndGet(TimeUnit.SECONDS.toNanos(60) - 1);
        assertThat(limits.connect(a)).as("one nanosecond before the window ends")
                .isEqualTo(Admission.TOO_MANY_NEW_CONNECTIONS);
        now.addAndGet(1);
        assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
    }

    @Test
    void authAttemptsCountAsFailuresUntilTheySucceed() {
        ClientLimits limits = limits(0, 0, 2);
        assertThat(limits.tryAuth(a)).isTrue();
        assertThat(limits.tryAuth(a)).isTrue();
        assertThat(limits.tryAuth(a)).as("two checks in flight or failed").isFalse();
        limits.authSucceeded(a);
        assertThat(limits.tryAuth(a)).isTrue();
        assertThat(limits.tryAuth(b)).isTrue();
        now.addAndGet(TimeUnit.MINUTES.toNanos(1));
        assertThat(limits.tryAuth(a)).isTrue();
    }

    @Test
    void relayNetworksAreExemptAsPostfixExemptsMynetworks() {
        ClientLimits limits = limits(1, 1, 1);
        InetAddress inside = address("10.1.2.3");
        for (int i = 0; i < 5; i++) {
            assertThat(limits.connect(inside)).isEqualTo(Admission.ADMITTED);
            assertThat(limits.tryAuth(inside)).isTrue();
        }
        assertThat(limits.trackedOpen()).isZero();
    }

    @Test
    void zeroTurnsALimitOff() {
        ClientLimits limits = limits(0, 0, 0);
        for (int i = 0; i < 1000; i++) {
            assertThat(limits.connect(a)).isEqualTo(Admission.ADMITTED);
            assertThat(limits.tryAuth(a)).isTrue();
        }
    }

    @Test
    void theRateTableIsBounded() {
        ClientLimits limits = limits(0, 5, 5);
        for (int i = 0; i < 10_000; i++) {
            limits.connect(address("198.51." + (i >> 8) + "." + (i & 0xff)));
        }
        assertThat(limits.trackedRates()).isLessThanOrEqualTo(100 + 16);
    }
}
