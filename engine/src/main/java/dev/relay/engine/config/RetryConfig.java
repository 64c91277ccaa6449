package dev.relay.engine.config;

import java.time.Duration;
import java.util.List;

/**
 * {@code delivery.retry}: the delays after the 1st, 2nd, ... deferral (the last one repeats), each stretched by a
 * random jitter of up to {@code jitter} (a fraction, 0.2 = up to +20%) so retries of one burst spread out;
 * {@code greylist_retry}, the delay after a first deferral that looks like greylisting but states no time (instead of
 * the schedule's first entry); and {@code max_lifetime}, after which a message bounces as expired whatever its state.
 */
public record RetryConfig(List<Duration> schedule, double jitter, Duration maxLifetime, Duration greylistRetry) {
    /**
     * Postgrey, sqlgrey and rspamd all hold a new triplet for 300 s by default, so a retry a little after 5 minutes
     * (the jitter only adds) passes most greylists on its first try; sooner would only be greylisted again.
     */
    public static final Duration DEFAULT_GREYLIST_RETRY = Duration.ofMinutes(5);

    public RetryConfig {
        schedule = List.copyOf(schedule);
        if (schedule.isEmpty()) {
            throw new ConfigException("delivery.retry.schedule", "[]", "needs at least one delay");
        }
        for (int i = 0; i < schedule.size(); i++) {
            Limits.positive("delivery.retry.schedule[" + i + "]", schedule.get(i));
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new ConfigException("delivery.retry.jitter", String.valueOf(jitter), "must be between 0 and 1");
        }
        Limits.positive("delivery.max_lifetime", maxLifetime);
        Limits.positive("delivery.retry.greylist_retry", greylistRetry);
    }

    /** With the default {@link #DEFAULT_GREYLIST_RETRY}. */
    public RetryConfig(List<Duration> schedule, double jitter, Duration maxLifetime) {
        this(schedule, jitter, maxLifetime, DEFAULT_GREYLIST_RETRY);
    }

    /** 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, then every 4 h; +0..20% jitter; 5 days; greylisting 5 min. */
    public static RetryConfig defaults() {
        return new RetryConfig(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
                Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4)), 0.2,
                Duration.ofDays(5), DEFAULT_GREYLIST_RETRY);
    }
}
