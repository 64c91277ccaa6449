package dev.relay.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Writes one batch of recipient updates: a fixed statement text with one array parameter per column (no parameter
 * limit, one cached plan whatever the batch size).
 *
 * <p>Retiring the message with its last recipient is the delicate part. Inside one statement every CTE sees the
 * snapshot taken when the statement started, and under READ COMMITTED so does a later statement of another
 * transaction that has not yet seen ours: two batches finishing the last two recipients of one message
 * concurrently would each still see the other's recipient and both keep the message, leaving an orphan. So a batch
 * with final updates runs as a transaction of two statements: the first locks the affected message rows (in id
 * order, so concurrent batches cannot deadlock on them) and applies the recipient changes and events; the second,
 * whose snapshot is taken after the lock was granted and so after any competing batch committed, deletes those
 * messages that have no recipient left. A batch of deferrals only cannot retire a message and runs as the first
 * statement alone, autocommitted.
 */
final class RecordSql {
    private static final short DEFERRED = EventKind.DEFERRED.code();
    private static final short HELD = EventKind.HELD.code();
    /** SQL list of the kinds that requeue rather than retire. */
    private static final String REQUEUE = "(" + DEFERRED + ", " + HELD + ")";
    private static final short EXPIRED = EventKind.EXPIRED.code();
    /** Placeholder for final updates: the column must be non-null in the array, the value is never used. */
    private static final Instant NO_NEXT_ATTEMPT = Instant.EPOCH;

    /**
     * The fence: an update made by a node applies only where that node still holds the recipient in flight. A node
     * whose claims were taken over (it stopped heartbeating and another node released them) changes nothing with a
     * late write-back; a null node (admin and tests) is not fenced.
     */
    private static final String OWNED = " AND (u.node IS NULL OR (r.state = 1 AND r.claimed_by = u.node))";

    static final String APPLY = apply(true, true, true);
    /** The same without the rollup upkeep: only for measuring what the rollups cost (RollupCostIT). */
    static final String APPLY_WITHOUT_ROLLUPS = apply(false, false, true);
    /** The same with the hourly rollup only: what the minute rollup costs (RollupCostIT). */
    static final String APPLY_WITHOUT_MINUTES = apply(true, false, true);
    /** The same without the webhook outbox: only for measuring what the outbox costs (WebhookOutboxCostIT). */
    static final String APPLY_WITHOUT_OUTBOX = apply(true, true, false);

    private static String apply(boolean rollups, boolean minutes, boolean outbox) {
        return "WITH u AS (SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::smallint[],"
            + " $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[])"
            + " AS u(message_id, idx, kind, next_attempt_at, remote_host, reply, site, node)),"
            + " locked AS (SELECT id FROM message WHERE id IN (SELECT message_id FROM u WHERE kind NOT IN " + REQUEUE
            + ") ORDER BY id FOR UPDATE),"
            + " del AS (DELETE FROM recipient r USING u WHERE r.message_id = u.message_id AND r.idx = u.idx"
            + " AND u.kind NOT IN " + REQUEUE + OWNED
            + " RETURNING r.message_id, r.idx, r.address, r.attempts + 1 AS attempt, u.kind, u.remote_host, u.reply,"
            + " u.site),"
            // a hold is no attempt: the count stays and a held row keeps the reply of its last real attempt
            // a hold whose suspension is gone by now (resumed while the node's copy was older) is due at once
            + " upd AS (UPDATE recipient r SET state = 0, claimed_by = NULL, next_attempt_at = CASE WHEN u.kind = "
            + HELD + " AND NOT EXISTS (SELECT 1 FROM site_suspension s WHERE s.site = u.site"
            + " AND (s.until IS NULL OR s.until > now())) THEN now() ELSE u.next_attempt_at END,"
            + " attempts = r.attempts + CASE WHEN u.kind = " + DEFERRED + " THEN 1 ELSE 0 END,"
            + " last_reply = CASE WHEN u.kind = " + DEFERRED + " THEN u.reply ELSE r.last_reply END,"
            + " site = COALESCE(u.site, r.site) FROM u"
            + " WHERE r.message_id = u.message_id AND r.idx = u.idx AND u.kind IN " + REQUEUE + OWNED
            + " RETURNING r.message_id, r.idx, r.address, r.attempts AS attempt, u.kind, u.remote_host, u.reply,"
            + " u.site),"
            // events only for rows that changed, so recording an update twice does not log it twice
            // recipient_idx and sender (V9): what a bounce arriving later through its VERP token is linked by
            + " ev AS (INSERT INTO event(message_id, recipient, recipient_idx, sender, kind, attempt, remote_host,"
            + " reply, site)"
            + " SELECT x.message_id, x.address, x.idx, coalesce(m.account, ''), x.kind, CASE WHEN x.kind IN ("
            + EXPIRED + ", " + HELD + ") THEN NULL ELSE x.attempt END, x.remote_host, x.reply, x.site"
            + " FROM (SELECT * FROM del UNION ALL SELECT * FROM upd) x LEFT JOIN message m ON m.id = x.message_id"
            + " ORDER BY x.message_id, x.idx"
            + " RETURNING id, at, message_id, kind, sender),"
            // webhook outbox rows for the endpoints that want these events, committed with them
            + (outbox ? " hook AS (" + WebhookOutbox.insert("SELECT ev.id AS event_id, ev.at AS event_at, ev.kind,"
            + " ev.sender FROM ev") + ")," : "")
            // the message row still exists here (RETIRE runs after), so it names the sender
            + (rollups ? " " + Rollups.ctes("roll", "SELECT coalesce(m.account, '') AS sender, x.kind"
            + " FROM (SELECT message_id, kind FROM del UNION ALL SELECT message_id, kind FROM upd) x"
            + " LEFT JOIN message m ON m.id = x.message_id", minutes) : " roll AS (SELECT 1)")
            // the main query runs before the data-modifying CTEs, so the message locks come first (the scalar
            // subqueries are evaluated in order); then how many updates changed a row, the rest were fenced
            + " SELECT (SELECT count(*) FROM locked) AS locked,"
            + " (SELECT count(*) FROM del) + (SELECT count(*) FROM upd) AS applied";
    }
    static final String RETIRE = "DELETE FROM message m WHERE m.id = ANY($1::uuid[])"
            + " AND NOT EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id)";

    private RecordSql() {}

    /** One update and the node whose claim it must hold (null: not fenced). */
    record Owned(RecipientUpdate update, @Nullable String node) {}

    /** Emits how many of the (distinct) updates changed a row and how many there were. */
    static Mono<Written> write(Connection c, List<Owned> updates) {
        return write(c, updates, APPLY);
    }

    static Mono<Written> write(Connection c, List<Owned> updates, String applySql) {
        // one update per recipient: the last one recorded wins (two for one recipient would join twice)
        Map<String, Owned> byRecipient = new LinkedHashMap<>();
        for (Owned o : updates) {
            byRecipient.put(o.update().messageId().uuid() + "/" + o.update().index(), o);
        }
        int n = byRecipient.size();
        UUID[] ids = new UUID[n];
        Short[] indexes = new Short[n];
        Short[] kinds = new Short[n];
        Instant[] next = new Instant[n];
        String[] hosts = new String[n];
        String[] replies = new String[n];
        String[] sites = new String[n];
        String[] nodes = new String[n];
        TreeSet<UUID> retiring = new TreeSet<>();
        int i = 0;
        for (Owned o : byRecipient.values()) {
            RecipientUpdate u = o.update();
            nodes[i] = o.node();
            ids[i] = u.messageId().uuid();
            indexes[i] = (short) u.index();
            kinds[i] = u.kind().eventCode();
            Instant at = u.nextAttemptAt();
            next[i] = at == null ? NO_NEXT_ATTEMPT : at;
            hosts[i] = u.remoteHost();
            replies[i] = u.reply();
            sites[i] = u.site();
            if (u.isFinal()) {
                retiring.add(ids[i]);
            }
            i++;
        }
        Statement apply = c.createStatement(applySql).bind(0, ids).bind(1, indexes).bind(2, kinds).bind(3, next)
                .bind(4, hosts).bind(5, replies).bind(6, sites).bind(7, nodes);
        if (retiring.isEmpty()) {
            return applied(apply).map(a -> new Written(a, n));
        }
        Statement retire = c.createStatement(RETIRE).bind(0, retiring.toArray(new UUID[0]));
        return Database.inTransaction(c, tx -> applied(apply)
                        .flatMap(a -> Statements.rowsUpdated(retire).thenReturn(a)))
                .map(a -> new Written(a, n));
    }

    /** How many updates of a batch changed a row, of how many distinct ones. */
    record Written(long applied, int updates) {
        long fenced() {
            return updates - applied;
        }
    }

    private static Mono<Long> applied(Statement s) {
        // (rows runs the statement only when subscribed, i.e. inside the transaction)
        return Statements.rows(s, row -> java.util.Objects.requireNonNull(row.get("applied", Long.class)))
                .reduce(0L, Long::sum);
    }
}
