package dev.relay.engine.config;

/**
 * {@code metrics}: how many distinct senders get their own {@code system} tag on the per-sender counters
 * ({@code max_senders}; the rest are counted as {@code other}), so the number of series stays bounded whatever the
 * number of AUTH users or connected systems.
 */
public record MetricsConfig(int maxSenders) {
    public MetricsConfig {
        Limits.check("metrics.max_senders", maxSenders, 0, 1000);
    }

    /** 50 senders. */
    public static MetricsConfig defaults() {
        return new MetricsConfig(50);
    }
}
