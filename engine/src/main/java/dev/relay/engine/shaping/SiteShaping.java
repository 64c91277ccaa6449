package dev.relay.engine.shaping;

import dev.relay.engine.config.SiteLimits;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything shaping decides for deliveries to one site (and recipient domain): connection and transaction limits
 * and timeouts, optional message and connection rates (null: unlimited), the retry schedule after a deferral, and
 * the reply rules.
 */
public record SiteShaping(SiteLimits limits, @Nullable Rate maxMessageRate, @Nullable Rate maxConnectionRate,
                          List<Duration> retrySchedule, List<ShapingRule> rules) {
    public SiteShaping {
        Objects.requireNonNull(limits, "limits");
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.isEmpty()) {
            throw new IllegalArgumentException("retry schedule needs at least one delay");
        }
        rules = List.copyOf(rules);
    }
}
