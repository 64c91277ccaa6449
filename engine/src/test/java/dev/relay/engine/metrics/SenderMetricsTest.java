package dev.relay.engine.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-sender counts with a bounded system tag. */
class SenderMetricsTest {
    @Test
    void sendersPastTheCapAreCountedAsOtherAndMailWithoutAuthAsNone() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SenderMetrics m = new SenderMetrics(registry, 2);
        m.received("shop");
        m.received("news");
        m.received("third");
        m.received("fourth");
        m.received(null);
        m.received("shop");
        assertThat(count(registry, "shop", "received")).isEqualTo(2);
        assertThat(count(registry, "news", "received")).isEqualTo(1);
        assertThat(count(registry, "other", "received")).isEqualTo(2);
        assertThat(count(registry, "none", "received")).isEqualTo(1);
        assertThat(registry.find(MetricNames.SENDER_EVENTS).tag("system", "third").counters()).isEmpty();

        m.attempted("shop", List.of(new DeliveryOutcome.Delivered("mx.test", SmtpReply.of(250, "2.0.0", "ok")),
                new DeliveryOutcome.Bounced("mx.test", SmtpReply.of(550, "5.1.1", "no such user"))));
        assertThat(count(registry, "shop", "delivered")).isEqualTo(1);
        assertThat(count(registry, "shop", "bounced")).isEqualTo(1);
    }

    private static double count(SimpleMeterRegistry registry, String system, String kind) {
        return registry.get(MetricNames.SENDER_EVENTS).tag("system", system).tag("kind", kind).counter().count();
    }
}
