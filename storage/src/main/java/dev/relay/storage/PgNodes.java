package dev.relay.storage;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The nodes' side of the delivery store: heartbeats, liveness and the release of a node's claims (the
 * {@code relay_node} table and the claims it fences), so {@link PgDeliveryStore} keeps only claiming, content and
 * write-back. Immutable; results arrive on the driver's I/O thread.
 */
final class PgNodes {
    private static final String RELEASE = "UPDATE recipient SET state = 0, claimed_by = NULL"
            + " WHERE state = 1 AND claimed_by = $1";
    /**
     * Upserts this node, then releases the claims of every other node silent for longer than the limit; one row per
     * node whose claims were released, with how many, and one row (node null) with the milliseconds since this
     * node's previous heartbeat by the database's clock (null the first time). All CTEs see the snapshot taken
     * before the upsert, so {@code prev} is the previous value.
     */
    private static final String HEARTBEAT = "WITH prev AS (SELECT heartbeat_at FROM relay_node WHERE name = $1),"
            + " hb AS (INSERT INTO relay_node(name, heartbeat_at) VALUES ($1, now())"
            + " ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at),"
            + " stale AS (SELECT name FROM relay_node WHERE name <> $1"
            + " AND heartbeat_at < now() - $2::bigint * interval '1 millisecond'),"
            + " released AS (UPDATE recipient r SET state = 0, claimed_by = NULL FROM stale s"
            + " WHERE r.state = 1 AND r.claimed_by = s.name RETURNING s.name AS node)"
            + " SELECT node, count(*) AS n FROM released GROUP BY node"
            + " UNION ALL SELECT NULL, (SELECT (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint FROM prev)";
    /** One message's recipients still in flight for a node, back to queued (an accept whose outcome was unknown). */
    private static final String RELEASE_MESSAGE = "UPDATE recipient SET state = 0, claimed_by = NULL"
            + " WHERE message_id = $2 AND state = 1 AND claimed_by = $1";
    private static final String LAST_BEAT = "SELECT heartbeat_at,"
            + " extract(epoch FROM now() - heartbeat_at) AS age FROM relay_node WHERE name = $1";
    private static final String LEAVE = "DELETE FROM relay_node WHERE name = $1";
    private static final String LIVE = "SELECT count(*) FROM relay_node"
            + " WHERE heartbeat_at >= now() - $1::bigint * interval '1 millisecond'";

    private final Statements statements;

    PgNodes(Statements statements) {
        this.statements = Objects.requireNonNull(statements, "statements");
    }

    /** See {@link DeliveryStore#releaseClaims}. */
    Mono<Long> releaseClaims(String node) {
        requireNode(node);
        return statements.update(c -> c.createStatement(RELEASE).bind(0, node));
    }

    /** See {@link DeliveryStore#heartbeat}. */
    Mono<DeliveryStore.Heartbeat> heartbeat(String node, Duration staleAfter) {
        requireNode(node);
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException("staleAfter must be positive, was " + staleAfter);
        }
        return statements.many(c -> c.createStatement(HEARTBEAT).bind(0, node).bind(1, staleAfter.toMillis()),
                        row -> new HeartbeatRow(row.get("node", String.class), row.get("n", Long.class)))
                .collectList()
                .map(PgNodes::heartbeatOf);
    }

    /** One row of the heartbeat statement: a node whose claims it released and how many, or (node null) the age. */
    record HeartbeatRow(@Nullable String node, @Nullable Long n) {}

    /** The heartbeat statement's rows, folded into its result. */
    static DeliveryStore.Heartbeat heartbeatOf(List<HeartbeatRow> rows) {
        Map<String, Long> taken = new TreeMap<>();
        Duration sincePrevious = null;
        for (HeartbeatRow r : rows) {
            if (r.node() != null) {
                taken.put(r.node(), Objects.requireNonNull(r.n(), "n"));
            } else if (r.n() != null) {
                sincePrevious = Duration.ofMillis(r.n());
            }
        }
        return new DeliveryStore.Heartbeat(sincePrevious, taken);
    }

    /** See {@link DeliveryStore#lastBeat}. */
    Mono<DeliveryStore.NodeBeat> lastBeat(String node) {
        requireNode(node);
        return statements.one(c -> c.createStatement(LAST_BEAT).bind(0, node),
                row -> new DeliveryStore.NodeBeat(
                        Objects.requireNonNull(row.get("heartbeat_at", OffsetDateTime.class)).toInstant(),
                        Duration.ofNanos((long) (Objects.requireNonNull(row.get("age", Number.class)).doubleValue()
                                * 1e9))));
    }

    /** See {@link DeliveryStore#leave}. */
    Mono<Void> leave(String node) {
        requireNode(node);
        return statements.update(c -> c.createStatement(LEAVE).bind(0, node)).then();
    }

    /** See {@link DeliveryStore#releaseMessage}. */
    Mono<Long> releaseMessage(String node, MessageId id) {
        requireNode(node);
        Objects.requireNonNull(id, "id");
        return statements.update(c -> c.createStatement(RELEASE_MESSAGE).bind(0, node).bind(1, id.uuid()));
    }

    /** See {@link DeliveryStore#liveNodes}. */
    Mono<Integer> liveNodes(Duration staleAfter) {
        return statements.one(c -> c.createStatement(LIVE).bind(0, staleAfter.toMillis()),
                row -> (int) Math.max(1, Objects.requireNonNull(row.get(0, Long.class))));
    }

    /** A node name as claims and heartbeats store it. */
    static void requireNode(String node) {
        Objects.requireNonNull(node, "node");
        if (node.isEmpty() || node.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("node must be non-empty without NUL characters");
        }
    }
}
