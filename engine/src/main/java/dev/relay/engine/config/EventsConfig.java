package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code events}: how long the event rows (the histories) are kept ({@code retention}, whole UTC days are dropped),
 * how long the hourly per-sender counts behind the statistics are kept ({@code rollup_retention}), how many days of
 * partitions are created ahead ({@code partitions_ahead}) and how often a node runs that upkeep
 * ({@code maintenance_interval}).
 */
public record EventsConfig(Duration retention, Duration rollupRetention, int partitionsAhead,
                           Duration maintenanceInterval) {
    public EventsConfig {
        Objects.requireNonNull(retention, "events.retention");
        Objects.requireNonNull(rollupRetention, "events.rollup_retention");
        Objects.requireNonNull(maintenanceInterval, "events.maintenance_interval");
        if (retention.compareTo(Duration.ofDays(1)) < 0) {
            throw new ConfigException("events.retention", retention.toString(), "must be at least 1d (whole days"
                    + " are dropped)");
        }
        if (rollupRetention.compareTo(retention) < 0) {
            throw new ConfigException("events.rollup_retention", rollupRetention.toString(), "must be at least"
                    + " events.retention (" + retention + "): statistics outlive the events they count");
        }
        Limits.check("events.partitions_ahead", partitionsAhead, 1, 60);
        if (maintenanceInterval.compareTo(Duration.ofMinutes(1)) < 0
                || maintenanceInterval.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException("events.maintenance_interval", maintenanceInterval.toString(),
                    "must be between 1m and 1d (partitions are created a few days ahead)");
        }
    }

    /** 30 days of events, 13 months (395 days) of counts, 7 days ahead, upkeep hourly. */
    public static EventsConfig defaults() {
        return new EventsConfig(Duration.ofDays(30), Duration.ofDays(395), 7, Duration.ofHours(1));
    }
}
