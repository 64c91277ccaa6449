package dev.relay.engine.metrics;

import dev.relay.engine.queue.DeliveryScheduler;
import dev.relay.engine.shaping.ReloadingShaping;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Shaping gauges, refreshed on scrape from the scheduler: sites suspended now and their effective connection limits
 * (configured, divided among nodes, lowered by rules and tarpit detection; summed over the sites of one tag), and
 * the reload counters of the shaping file. Rule hits and rate waits are counted by {@link DeliveryMetrics}.
 */
public final class ShapingMetrics {
    private final DeliveryScheduler scheduler;
    private final UnaryOperator<String> siteTag;
    private final MultiGauge suspended;
    private final MultiGauge connectionLimit;

    public ShapingMetrics(MeterRegistry registry, DeliveryScheduler scheduler, ReloadingShaping shaping,
                          UnaryOperator<String> siteTag) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.siteTag = Objects.requireNonNull(siteTag, "siteTag");
        FunctionCounter.builder(MetricNames.SHAPING_RELOADS, shaping, ReloadingShaping::reloads)
                .description("changes of the shaping file that were loaded and took effect").register(registry);
        FunctionCounter.builder(MetricNames.SHAPING_RELOAD_FAILURES, shaping, ReloadingShaping::failures)
                .description("changes of the shaping file that were invalid; the previous version stayed in force")
                .register(registry);
        this.suspended = MultiGauge.builder(MetricNames.SHAPING_SUSPENDED)
                .description("sites suspended now (by a rule or an operator)").register(registry);
        this.connectionLimit = MultiGauge.builder(MetricNames.SHAPING_CONNECTION_LIMIT)
                .description("effective connection limit per site now (summed over the sites of a tag)")
                .register(registry);
    }

    /** Called before each scrape. */
    public void refresh() {
        Map<String, long[]> sums = new TreeMap<>();
        sums.put(SiteTags.OTHER, new long[2]);
        scheduler.shapingState().forEach((site, state) -> {
            long[] s = sums.computeIfAbsent(siteTag.apply(site), k -> new long[2]);
            s[0] += state.suspendedUntil() != null ? 1 : 0;
            s[1] += state.connectionLimit();
        });
        List<MultiGauge.Row<?>> suspendedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> limitRows = new ArrayList<>();
        sums.forEach((site, s) -> {
            suspendedRows.add(MultiGauge.Row.of(Tags.of(MetricNames.TAG_SITE, site), s[0]));
            limitRows.add(MultiGauge.Row.of(Tags.of(MetricNames.TAG_SITE, site), s[1]));
        });
        suspended.register(suspendedRows, true);
        connectionLimit.register(limitRows, true);
    }
}
