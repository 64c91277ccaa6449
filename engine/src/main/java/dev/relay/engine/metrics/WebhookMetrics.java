package dev.relay.engine.metrics;

import dev.relay.engine.webhooks.WebhookObserver;
import dev.relay.storage.PgWebhooks.Counts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Webhook events delivered, retried and dead-lettered (counters) and pending and dead letters stored (gauges, from
 * the dispatcher's periodic count), tagged {@code endpoint} with the endpoint's id. The tag is bounded: the first
 * {@code maxTags} endpoint ids seen get their own value, later ones share {@code other}. Thread-safe.
 */
public final class WebhookMetrics implements WebhookObserver {
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final int maxTags;
    private final Map<Long, String> tags = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> dead = new ConcurrentHashMap<>();

    public WebhookMetrics(MeterRegistry registry, int maxTags) {
        this.registry = registry;
        this.maxTags = maxTags;
    }

    /** The tag value of an endpoint id: its id while fewer than maxTags ids were seen, else "other". */
    String tag(long endpointId) {
        String known = tags.get(endpointId);
        if (known != null) {
            return known;
        }
        synchronized (tags) {
            return tags.computeIfAbsent(endpointId, id -> tags.size() < maxTags ? Long.toString(id) : OTHER);
        }
    }

    @Override
    public void delivered(long endpointId, int events) {
        counter(MetricNames.WEBHOOK_DELIVERED, "webhook events posted and accepted (2xx)", endpointId)
                .increment(events);
    }

    @Override
    public void retried(long endpointId, int events) {
        counter(MetricNames.WEBHOOK_RETRIED, "webhook events whose POST failed and that will be retried",
                endpointId).increment(events);
    }

    @Override
    public void deadLettered(long endpointId, int events) {
        counter(MetricNames.WEBHOOK_DEAD_LETTERED, "webhook events given up after webhooks.max_age (kept as dead"
                + " letters)", endpointId).increment(events);
    }

    @Override
    public void counted(List<Counts> counts) {
        Map<String, long[]> sums = new HashMap<>();
        for (Counts c : counts) {
            long[] s = sums.computeIfAbsent(tag(c.endpointId()), t -> new long[2]);
            s[0] += c.pending();
            s[1] += c.dead();
        }
        // a tag seen before and absent now (endpoint removed) goes to 0 rather than keeping its last value
        pending.forEach((t, v) -> v.set(0));
        dead.forEach((t, v) -> v.set(0));
        sums.forEach((t, s) -> {
            gauge(pending, MetricNames.WEBHOOK_PENDING, "webhook events waiting to be posted", t).set(s[0]);
            gauge(dead, MetricNames.WEBHOOK_DEAD_LETTERS, "webhook events dead-lettered and stored", t).set(s[1]);
        });
    }

    private Counter counter(String name, String description, long endpointId) {
        return Counter.builder(name).description(description).tag(MetricNames.TAG_ENDPOINT, tag(endpointId))
                .register(registry);
    }

    private AtomicLong gauge(Map<String, AtomicLong> values, String name, String description, String tag) {
        return values.computeIfAbsent(tag, t -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(name, v, AtomicLong::get).description(description).tag(MetricNames.TAG_ENDPOINT, t)
                    .register(registry);
            return v;
        });
    }
}
