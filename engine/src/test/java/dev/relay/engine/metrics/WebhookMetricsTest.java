package dev.relay.engine.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.PgWebhooks.Counts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The endpoint tag is bounded: past the cap, endpoints share "other". */
class WebhookMetricsTest {
    @Test
    void endpointTagsAreCappedAndTheRestCountedAsOther() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WebhookMetrics metrics = new WebhookMetrics(registry, 2);
        metrics.delivered(10, 5);
        metrics.delivered(11, 1);
        metrics.delivered(12, 2);
        metrics.delivered(13, 3);
        metrics.delivered(10, 1);
        assertThat(registry.get(MetricNames.WEBHOOK_DELIVERED).tag("endpoint", "10").counter().count()).isEqualTo(6);
        assertThat(registry.get(MetricNames.WEBHOOK_DELIVERED).tag("endpoint", "other").counter().count())
                .isEqualTo(5);
        assertThat(registry.get(MetricNames.WEBHOOK_DELIVERED).counters()).hasSize(3);

        metrics.counted(List.of(new Counts(10, 7, 1), new Counts(12, 2, 0), new Counts(13, 3, 4)));
        assertThat(registry.get(MetricNames.WEBHOOK_PENDING).tag("endpoint", "other").gauge().value()).isEqualTo(5);
        assertThat(registry.get(MetricNames.WEBHOOK_DEAD_LETTERS).tag("endpoint", "other").gauge().value())
                .isEqualTo(4);
        // endpoint 10 removed: its gauges drop to 0 instead of keeping the last value
        metrics.counted(List.of(new Counts(12, 0, 0)));
        assertThat(registry.get(MetricNames.WEBHOOK_PENDING).tag("endpoint", "10").gauge().value()).isZero();
    }
}
