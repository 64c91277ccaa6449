package dev.relay.storage;

/**
 * The incremental upkeep of {@code event_rollup} (per hour) and {@code event_rollup_minute}: data-modifying CTEs
 * added to the statement that writes the events, so the counts commit with them or not at all. A batch adds one row
 * per (sender, kind) it touched to each table, not one per event. The single place that writes rollups.
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
     * Two data-modifying CTEs, {@code name} and {@code name_minute}, adding the counts of {@code source}, a query with
     * columns {@code sender} (text, not null) and {@code kind} (smallint), one row per event, to the current UTC hour
     * in {@code event_rollup} and the current UTC minute in {@code event_rollup_minute} (V12). Both in the one
     * statement that writes the events, so the two tables never disagree about what was committed. Each sorted by
     * key, so concurrent batches take the row locks in one order and cannot deadlock on them.
     */
    static String ctes(String name, String source) {
        return ctes(name, source, true);
    }

    /** {@link #ctes(String, String)}, the minutes only if {@code minutes} (false: the cost measurement's baseline). */
    static String ctes(String name, String source, boolean minutes) {
        String hourly = name + " AS (" + upsert("event_rollup", "hour", "hour", source) + ")";
        return minutes ? hourly + ", " + name + "_minute AS (" + upsert("event_rollup_minute", "minute", "minute",
                source) + ")" : hourly;
    }

    private static String upsert(String table, String column, String unit, String source) {
        return "INSERT INTO " + table + "(sender, " + column + ", kind, slot, n)"
                + " SELECT sender, date_trunc('" + unit + "', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', kind,"
                + " (SELECT floor(random() * " + SLOTS + ")::smallint) AS slot, n"
                + " FROM (SELECT sender, kind, count(*) AS n FROM (" + source + ") s GROUP BY sender, kind) g"
                + " ORDER BY sender, kind, slot"
                + " ON CONFLICT (sender, " + column + ", kind, slot) DO UPDATE SET n = " + table + ".n + excluded.n";
    }
}
