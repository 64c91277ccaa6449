package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code webhooks}: whether this node posts the webhook outbox ({@code enabled}), how often it looks for due rows
 * ({@code poll_interval}), how many events one POST carries ({@code batch_size}), how long one POST may take
 * ({@code timeout}), the retry backoff ({@code backoff_base} doubling up to {@code backoff_cap}) and how long an event
 * is retried before it is dead-lettered ({@code max_age}); the concurrency an endpoint gets unless it names its own
 * ({@code max_in_flight}), and how many endpoints get their own metric tag ({@code max_endpoint_tags}, the rest
 * share {@code other}).
 */
public record WebhooksConfig(boolean enabled, Duration pollInterval, int batchSize, Duration timeout,
                             Duration backoffBase, Duration backoffCap, Duration maxAge, int maxInFlight,
                             int maxEndpointTags) {
    public WebhooksConfig {
        Objects.requireNonNull(pollInterval, "webhooks.poll_interval");
        Objects.requireNonNull(timeout, "webhooks.timeout");
        Objects.requireNonNull(backoffBase, "webhooks.backoff_base");
        Objects.requireNonNull(backoffCap, "webhooks.backoff_cap");
        Objects.requireNonNull(maxAge, "webhooks.max_age");
        between("webhooks.poll_interval", pollInterval, Duration.ofMillis(50), Duration.ofMinutes(1),
                "how long a new event may wait before its first POST");
        Limits.check("webhooks.batch_size", batchSize, 1, 1000);
        between("webhooks.timeout", timeout, Duration.ofMillis(100), Duration.ofMinutes(5),
                "a POST holds one of its endpoint's slots that long at most");
        between("webhooks.backoff_base", backoffBase, Duration.ofMillis(10), Duration.ofHours(1),
                "the first retry's delay");
        if (backoffCap.compareTo(backoffBase) < 0 || backoffCap.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException("webhooks.backoff_cap", backoffCap.toString(), "must be between"
                    + " webhooks.backoff_base (" + backoffBase + ") and 1d");
        }
        between("webhooks.max_age", maxAge, Duration.ofSeconds(1), Duration.ofDays(30),
                "events are retried that long, then dead-lettered");
        Limits.check("webhooks.max_in_flight", maxInFlight, 1, 64);
        Limits.check("webhooks.max_endpoint_tags", maxEndpointTags, 0, 1000);
    }

    /** On, every 1s, 100 events a POST, 10s a POST, retries from 10s doubling to 1h for 3 days, 4 POSTs at once. */
    public static WebhooksConfig defaults() {
        return new WebhooksConfig(true, Duration.ofSeconds(1), 100, Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofHours(1), Duration.ofDays(3), 4, 100);
    }

    /**
     * How long a claim keeps its rows from other claimers: longer than any POST may take, so only a node that died
     * (or lost the database) mid-POST lets them fall due again.
     */
    public Duration lease() {
        return timeout.multipliedBy(2).plusSeconds(5);
    }

    private static void between(String key, Duration d, Duration min, Duration max, String why) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException(key, d.toString(), "must be between " + min.toString().substring(2)
                    .toLowerCase(java.util.Locale.ROOT) + " and " + max.toString().substring(2)
                    .toLowerCase(java.util.Locale.ROOT) + " (" + why + ")");
        }
    }
}
