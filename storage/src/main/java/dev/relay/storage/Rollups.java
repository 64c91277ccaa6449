package dev.relay.storage;

/**
 * The incremental upkeep of {@code event_rollup}: a data-modifying CTE added to the statement that writes the
 * events, so the counts commit with them or not at all. A batch adds one row per (sender, kind) it touched, not one
 * per event.
 */
final class Rollups {
    /**
     * Rows one hot (sender, hour, kind) is spread over; see V5__events.sql. A statement picks one slot for all its
     * rows, so two concurrent batches wait on each other only when they draw the same slot (1 in 16), rather than
     * when any of their rows do.
     */
    static final int SLOTS = 16;

    private Rollups() {}

    /**
     * An INSERT adding the counts of {@code source}, a query with columns {@code sender} (text, not null) and
     * {@code kind} (smallint), one row per event, to the current UTC hour. Sorted by key, so concurrent batches take
     * the row locks in one order and cannot deadlock on them.
     */
    static String upsert(String source) {
        return "INSERT INTO event_rollup(sender, hour, kind, slot, n)"
                + " SELECT sender, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', kind,"
                + " (SELECT floor(random() * " + SLOTS + ")::smallint) AS slot, n"
                + " FROM (SELECT sender, kind, count(*) AS n FROM (" + source + ") s GROUP BY sender, kind) g"
                + " ORDER BY sender, kind, slot"
                + " ON CONFLICT (sender, hour, kind, slot) DO UPDATE SET n = event_rollup.n + excluded.n";
    }
}
