package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code events}: how long the event rows (the histories) are kept ({@code retention}, whole UTC days are dropped),
 * how long the hourly per-sender counts behind the statistics are kept ({@code rollup_retention}), how many days of
 * partitions are created ahead ({@code partitions_ahead}), how often a node runs that upkeep
 * ({@code maintenance_interval}) and how long the per-minute counts are kept ({@code minute_rollup_retention}: a
 * short window for `--by minute`, the hourly counts are the long record).
 */
public record EventsConfig(Duration retention, Duration rollupRetention, int partitionsAhead,
                           Duration maintenanceInterval, Duration minuteRollupRetention) {
    /** Without {@code minute_rollup_retention}: its default, 48 hours. */
    public EventsConfig(Duration retention, Duration rollupRetention, int partitionsAhead,
                        Duration maintenanceInterval) {
        this(retention, rollupRetention, partitionsAhead, maintenanceInterval, Duration.ofHours(48));
    }

    public EventsConfig {
        Objects.requireNonNull(minuteRollupRetention, "events.minute_rollup_retention");
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
        if (minuteRollupRetention.compareTo(Duration.ofHours(1)) < 0
                || minuteRollupRetention.compareTo(Duration.ofDays(31)) > 0) {
            throw new ConfigException("events.minute_rollup_retention", minuteRollupRetention.toString(),
                    "must be between 1h and 31d (a row per sender, kind and minute: keep the window short)");
        }
        if (maintenanceInterval.compareTo(Duration.ofMinutes(1)) < 0
                || maintenanceInterval.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException("events.maintenance_interval", maintenanceInterval.toString(),
                    "must be between 1m and 1d (partitions are created a few days ahead)");
        }
    }

    /** 30 days of events, 13 months (395 days) of hourly counts, 7 days ahead, upkeep hourly, 48 h of minutes. */
    public static EventsConfig defaults() {
        return new EventsConfig(Duration.ofDays(30), Duration.ofDays(395), 7, Duration.ofHours(1),
                Duration.ofHours(48));
    }
}
