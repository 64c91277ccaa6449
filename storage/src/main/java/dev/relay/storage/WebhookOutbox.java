package dev.relay.storage;

/**
 * The webhook outbox rows of a batch of events: a data-modifying CTE added to the statement that writes the events
 * (like {@link Rollups}), so an event and its outbox rows commit together or not at all. One INSERT ... SELECT joins
 * the batch's events with the active endpoints wanting them; with no endpoint configured it inserts nothing.
 */
final class WebhookOutbox {
    private WebhookOutbox() {}

    /**
     * An INSERT of one outbox row per (matching endpoint, event) of {@code source}, a query with columns
     * {@code event_id} (bigint), {@code event_at} (timestamptz), {@code kind} (smallint) and {@code sender} (text,
     * not null; '' without AUTH user).
     */
    static String insert(String source) {
        return "INSERT INTO webhook_outbox(endpoint_id, event_id, event_at, sender)"
                + " SELECT w.id, s.event_id, s.event_at, s.sender FROM (" + source + ") s"
                + " JOIN webhook_endpoint w ON w.active AND s.kind = ANY(w.kinds)"
                + " AND (w.sender = '*' OR w.sender = s.sender)"
                // a one-time filter: with no active endpoint the join (and the sender lookups of the source) is
                // not run at all, so the relay without webhooks pays only for the events' RETURNING
                + " WHERE EXISTS (SELECT 1 FROM webhook_endpoint WHERE active)";
    }
}
