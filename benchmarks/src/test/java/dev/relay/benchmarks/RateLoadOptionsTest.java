package dev.relay.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLoadOptionsTest {
    @Test
    void parsesEveryOption() {
        RateLoadOptions o = RateLoadOptions.parse(List.of("--target", "10.0.0.1:2600", "--rate", "250.5",
                "--duration", "30", "--warmup", "5", "--size", "20480", "--sessions", "50", "--per-conn", "10",
                "--io-timeout", "2.5", "--drain-timeout", "7", "--run-id", "x1", "--label", "relay"));

        assertThat(o.host()).isEqualTo("10.0.0.1");
        assertThat(o.port()).isEqualTo(2600);
        assertThat(o.rate()).isEqualTo(250.5);
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.ioTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(o.size()).isEqualTo(20480);
        assertThat(o.maxSessions()).isEqualTo(50);
        assertThat(o.perConn()).isEqualTo(10);
        assertThat(o.label()).isEqualTo("relay");
        // arrivals k = 0.. at k / 250.5 s: ceil(250.5 * 35) in all, ceil(250.5 * 5) of them warm-up
        assertThat(o.totalMessages()).isEqualTo(8768);
        assertThat(o.firstMeasured()).isEqualTo(1253);
    }

    @Test
    void errorsNameTheOptionAndTheValue() {
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "fast", "--duration", "1")))
                .hasMessage("--rate must be a number, was 'fast'");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "10")))
                .hasMessage("--rate and --duration are required");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "10", "--duration", "1", "--sessions", "0")))
                .hasMessage("--sessions must be 1..5000, was 0");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "10", "--duration", "1", "--run-id", "a.b")))
                .hasMessageContaining("--run-id");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "10", "--duration", "1", "--target", "x")))
                .hasMessage("--target must be HOST:PORT, was 'x'");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "100000", "--duration", "3600")))
                .hasMessageContaining("<= 10000000 messages");
        assertThatThrownBy(() -> RateLoadOptions.parse(List.of("--rate", "10", "--duration", "1", "--bogus", "1")))
                .hasMessage("unknown option --bogus");
    }
}
