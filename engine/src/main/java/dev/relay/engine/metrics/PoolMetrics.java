package dev.relay.engine.metrics;

import dev.relay.engine.delivery.SiteCounts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Outbound connection pools by site tag: connections in use, idle, and callers waiting for one. Sites that share
 * the "other" tag are summed. Refreshed on every scrape request via {@link #refresh()}.
 */
public final class PoolMetrics {
    private final Supplier<Map<String, SiteCounts>> counts;
    private final UnaryOperator<String> siteTag;
    private final MultiGauge inUse;
    private final MultiGauge idle;
    private final MultiGauge waiting;

    public PoolMetrics(MeterRegistry registry, Supplier<Map<String, SiteCounts>> counts,
                       UnaryOperator<String> siteTag) {
        this.counts = Objects.requireNonNull(counts, "counts");
        this.siteTag = Objects.requireNonNull(siteTag, "siteTag");
        this.inUse = MultiGauge.builder(MetricNames.POOL_IN_USE)
                .description("outbound SMTP connections carrying a transaction").register(registry);
        this.idle = MultiGauge.builder(MetricNames.POOL_IDLE)
                .description("outbound SMTP connections open and idle").register(registry);
        this.waiting = MultiGauge.builder(MetricNames.POOL_WAITING)
                .description("deliveries waiting for a connection").register(registry);
    }

    public void refresh() {
        Map<String, int[]> sums = new TreeMap<>();
        sums.put(SiteTags.OTHER, new int[3]);
        counts.get().forEach((site, c) -> {
            int[] s = sums.computeIfAbsent(siteTag.apply(site), k -> new int[3]);
            s[0] += c.inUse();
            s[1] += c.idle();
            s[2] += c.waiting();
        });
        List<MultiGauge.Row<?>> inUseRows = new ArrayList<>();
        List<MultiGauge.Row<?>> idleRows = new ArrayList<>();
        List<MultiGauge.Row<?>> waitingRows = new ArrayList<>();
        sums.forEach((site, s) -> {
            Tags tags = Tags.of(MetricNames.TAG_SITE, site);
            inUseRows.add(MultiGauge.Row.of(tags, s[0]));
            idleRows.add(MultiGauge.Row.of(tags, s[1]));
            waitingRows.add(MultiGauge.Row.of(tags, s[2]));
        });
        inUse.register(inUseRows, true);
        idle.register(idleRows, true);
        waiting.register(waitingRows, true);
    }
}
