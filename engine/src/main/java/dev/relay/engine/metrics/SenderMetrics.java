package dev.relay.engine.metrics;

import dev.relay.engine.delivery.DeliveryOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Messages received and recipients delivered, deferred and bounced per sender, for the Grafana "Senders" dashboard:
 * {@code relay_sender_events_total{system,kind}}. The sender is the AUTH user (the connected system once systems
 * exist); {@value #NONE} for mail without AUTH. The {@code system} tag is bounded by {@code metrics.max_senders}: the
 * first senders seen get their own value, later ones share {@value #OTHER}. Thread-safe.
 */
public final class SenderMetrics {
    static final String NONE = "none";
    static final String OTHER = "other";
    static final List<String> KINDS = List.of("received", "delivered", "deferred", "bounced");
    private static final int MAX_NAME = 64;

    private final MeterRegistry registry;
    private final int maxSenders;
    private final Map<String, String> tags = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public SenderMetrics(MeterRegistry registry, int maxSenders) {
        this.registry = registry;
        this.maxSenders = maxSenders;
        for (String kind : KINDS) {
            counter(NONE, kind); // zeros rather than absent series for dashboards
        }
    }

    /** The tag value of a sender. */
    String tag(@Nullable String account) {
        if (account == null || account.isEmpty()) {
            return NONE;
        }
        String known = tags.get(account);
        if (known != null) {
            return known;
        }
        synchronized (tags) {
            return tags.computeIfAbsent(account, a -> tags.size() < maxSenders
                    ? a.substring(0, Math.min(MAX_NAME, a.length())).replaceAll("\\p{Cntrl}", "?") : OTHER);
        }
    }

    public void received(@Nullable String account) {
        counter(tag(account), "received").increment();
    }

    /** One attempt's per-recipient outcomes; a connection failure counts as deferred (it is retried). */
    public void attempted(@Nullable String account, List<DeliveryOutcome> outcomes) {
        String system = tag(account);
        for (DeliveryOutcome o : outcomes) {
            String kind = o instanceof DeliveryOutcome.Delivered ? "delivered"
                    : o instanceof DeliveryOutcome.Bounced ? "bounced" : "deferred";
            counter(system, kind).increment();
        }
    }

    private Counter counter(String system, String kind) {
        return counters.computeIfAbsent(system + "\u0000" + kind, k -> Counter.builder(MetricNames.SENDER_EVENTS)
                .description("messages received and recipients delivered, deferred or bounced, per sender")
                .tag(MetricNames.TAG_SYSTEM, system).tag(MetricNames.TAG_KIND, kind).register(registry));
    }
}
