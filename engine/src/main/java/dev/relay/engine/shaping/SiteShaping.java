package dev.relay.engine.shaping;

import dev.relay.engine.config.SiteLimits;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything shaping decides for deliveries to one site (and recipient domain): connection and transaction limits
 * and timeouts, optional message and connection rates (null: unlimited), the retry schedule after a deferral, the
 * reply rules, and when replies count as tarpitting.
 */
public record SiteShaping(SiteLimits limits, @Nullable Rate maxMessageRate, @Nullable Rate maxConnectionRate,
                          List<Duration> retrySchedule, List<ShapingRule> rules, Tarpit tarpit) {
    /**
     * A reply slower than {@code threshold} (greeting or command; a timeout counts as its full wait) halves the
     * site's concurrency (at least 1); each {@code recovery} period without a slow reply gives one connection back.
     */
    public record Tarpit(Duration threshold, Duration recovery) {
        public static final Tarpit DEFAULT = new Tarpit(Duration.ofSeconds(10), Duration.ofSeconds(30));

        public Tarpit {
            for (Duration d : List.of(threshold, recovery)) {
                if (d.isZero() || d.isNegative()) {
                    throw new IllegalArgumentException("tarpit durations must be positive, was " + d);
                }
            }
        }
    }

    public SiteShaping {
        Objects.requireNonNull(limits, "limits");
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.isEmpty()) {
            throw new IllegalArgumentException("retry schedule needs at least one delay");
        }
        rules = List.copyOf(rules);
        Objects.requireNonNull(tarpit, "tarpit");
    }

    /** With the default tarpit detection. */
    public SiteShaping(SiteLimits limits, @Nullable Rate maxMessageRate, @Nullable Rate maxConnectionRate,
                       List<Duration> retrySchedule, List<ShapingRule> rules) {
        this(limits, maxMessageRate, maxConnectionRate, retrySchedule, rules, Tarpit.DEFAULT);
    }
}
