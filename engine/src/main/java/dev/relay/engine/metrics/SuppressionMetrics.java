package dev.relay.engine.metrics;

import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.engine.policy.SuppressionFilter;
import dev.relay.engine.policy.SuppressionFilterRefresher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * How RCPT's suppression checks were answered (the membership filter, the cache, or a database query) and the
 * filter's state, all read from the check, the filter and its refresher on scrape.
 */
public final class SuppressionMetrics {
    private SuppressionMetrics() {
    }

    public static void bind(MeterRegistry registry, SuppressionCheck check, SuppressionFilter filter,
                            SuppressionFilterRefresher refresher) {
        lookups(registry, check, "filter_clear", SuppressionCheck::filterClears);
        lookups(registry, check, "cache", SuppressionCheck::cacheHits);
        lookups(registry, check, "query", SuppressionCheck::queries);
        Gauge.builder(MetricNames.SUPPRESSION_FILTER_ENTRIES, filter, SuppressionFilter::entries)
                .description("addresses in the suppression membership filter (0: not loaded yet)")
                .strongReference(true).register(registry);
        Gauge.builder(MetricNames.SUPPRESSION_FILTER_BYTES, filter, SuppressionFilter::bytes).baseUnit("bytes")
                .description("memory of the suppression membership filter's bit arrays")
                .strongReference(true).register(registry);
        Gauge.builder(MetricNames.SUPPRESSION_FILTER_FRESH, filter, f -> f.fresh() ? 1 : 0)
                .description("1 while the suppression membership filter answers; 0 before its first load or when"
                        + " its refreshes failed for longer than suppression.cache_ttl (every RCPT then queries)")
                .strongReference(true).register(registry);
        FunctionCounter.builder(MetricNames.SUPPRESSION_FILTER_FAILURES, refresher,
                        SuppressionFilterRefresher::failures)
                .description("reads of the suppression list for the membership filter that failed (retried)")
                .register(registry);
    }

    private static void lookups(MeterRegistry registry, SuppressionCheck check, String result,
                                java.util.function.ToDoubleFunction<SuppressionCheck> value) {
        FunctionCounter.builder(MetricNames.SUPPRESSION_LOOKUPS, check, value).tag(MetricNames.TAG_RESULT, result)
                .description("RCPT suppression checks by how they were answered: filter_clear (on no list, by the"
                        + " membership filter), cache (a recent answer), query (sent to the database)")
                .register(registry);
    }
}
