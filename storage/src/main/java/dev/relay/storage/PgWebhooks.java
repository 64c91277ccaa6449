package dev.relay.storage;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Webhook endpoints and their outbox (schema V8). The outbox rows themselves are written with their events by
 * every statement that writes events ({@link RecordSql}, {@link GroupCommitSpool}, {@link PgBounceIntake},
 * {@link PgQueueAdmin}, {@link PgSuppressions}, through {@link WebhookOutbox}); this class claims, settles and shows
 * them.
 * Claims are {@code FOR UPDATE SKIP LOCKED} and move {@code due_at} past a lease, so several nodes share one
 * endpoint's rows without sending one twice, and the rows of a node that died mid-request fall due again after the
 * lease (at least once, never lost). Immutable and thread-safe; results arrive on the driver's I/O thread.
 */
public final class PgWebhooks {
    private static final String ENDPOINT_COLUMNS = "id, sender, url, secret, kinds, active, max_in_flight, created";
    private static final String ADD = "INSERT INTO webhook_endpoint(sender, url, secret, kinds, max_in_flight)"
            + " VALUES ($1, $2, $3, $4, $5) RETURNING " + ENDPOINT_COLUMNS;
    private static final String LIST = "SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoint ORDER BY id";
    private static final String REMOVE = "DELETE FROM webhook_endpoint WHERE id = $1";
    /**
     * Up to $2 due rows of one endpoint, oldest first, leased for $3 ms; with their event's fields (NULL when the
     * event's partition was dropped by retention meanwhile).
     */
    private static final String CLAIM = "WITH c AS (SELECT id FROM webhook_outbox WHERE endpoint_id = $1"
            + " AND dead_at IS NULL AND due_at <= now() ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
            + " u AS (UPDATE webhook_outbox o SET due_at = now() + $3 * interval '1 millisecond' FROM c"
            + " WHERE o.id = c.id RETURNING o.id, o.event_id, o.event_at, o.sender, o.attempts, o.created)"
            + " SELECT u.id, u.event_id, u.event_at, u.sender, u.attempts, u.created, e.kind, e.message_id,"
            + " e.recipient, e.attempt, e.remote_host, e.reply, e.category, e.bounce_class"
            + " FROM u LEFT JOIN event e ON e.id = u.event_id AND e.at = u.event_at ORDER BY u.event_id";
    private static final String DONE = "DELETE FROM webhook_outbox WHERE id = ANY($1::bigint[])";
    private static final String FAILED = "UPDATE webhook_outbox o SET attempts = o.attempts + 1, due_at = u.due,"
            + " dead_at = CASE WHEN u.dead THEN now() END, last_error = $4"
            + " FROM unnest($1::bigint[], $2::timestamptz[], $3::boolean[]) AS u(id, due, dead) WHERE o.id = u.id";
    private static final String DEAD = "SELECT id, endpoint_id, event_id, event_at, sender, attempts, last_error,"
            + " dead_at FROM webhook_outbox WHERE dead_at IS NOT NULL AND ($1::bigint IS NULL OR endpoint_id = $1)"
            + " ORDER BY endpoint_id, id LIMIT $2";
    private static final String REPLAY = "UPDATE webhook_outbox SET dead_at = NULL, due_at = now(), attempts = 0,"
            + " created = now(), last_error = NULL WHERE dead_at IS NOT NULL AND endpoint_id = $1";
    private static final String COUNTS = "SELECT w.id, count(o.id) FILTER (WHERE o.dead_at IS NULL) AS pending,"
            + " count(o.id) FILTER (WHERE o.dead_at IS NOT NULL) AS dead"
            + " FROM webhook_endpoint w LEFT JOIN webhook_outbox o ON o.endpoint_id = w.id GROUP BY w.id ORDER BY w.id";

    private final Statements statements;

    public PgWebhooks(ConnectionFactory pool) {
        this.statements = new Statements(pool, "webhooks");
    }

    /** A registered endpoint; {@code kinds} are {@link EventKind} codes. */
    public record Endpoint(long id, String sender, String url, String secret, List<Short> kinds, boolean active,
                           int maxInFlight, Instant created) {
        public Endpoint {
            kinds = List.copyOf(kinds);
        }
    }

    /**
     * One claimed outbox row with its event; {@code kind} is null when the event row is gone (its day dropped by
     * {@code events.retention}). {@code deliveries} counts the failed POSTs of this row so far. {@code category} and
     * {@code bounceClass} are the classifier's (V9), read at claim time: the intake writes them with its events, the
     * delivery write-back's classification follows just after its COMMIT, so a row claimed in between has none yet.
     */
    public record OutboxEvent(long outboxId, long eventId, Instant at, String sender, int deliveries, Instant created,
                              @Nullable Short kind, @Nullable UUID messageId, @Nullable String recipient,
                              @Nullable Integer attempt, @Nullable String remoteHost, @Nullable String reply,
                              @Nullable String category, @Nullable String bounceClass) {
        /** Without a classification. */
        public OutboxEvent(long outboxId, long eventId, Instant at, String sender, int deliveries, Instant created,
                           @Nullable Short kind, @Nullable UUID messageId, @Nullable String recipient,
                           @Nullable Integer attempt, @Nullable String remoteHost, @Nullable String reply) {
            this(outboxId, eventId, at, sender, deliveries, created, kind, messageId, recipient, attempt, remoteHost,
                    reply, null, null);
        }
    }

    /** The settlement of one failed row: due again at {@code due}, or dead-lettered. */
    public record Failure(long outboxId, Instant due, boolean dead) {}

    /** A dead-lettered row. */
    public record DeadLetter(long outboxId, long endpointId, long eventId, Instant eventAt, String sender,
                             int attempts, @Nullable String lastError, Instant deadAt) {}

    /** Rows waiting (including leased ones) and dead-lettered, per endpoint. */
    public record Counts(long endpointId, long pending, long dead) {}

    public Mono<Endpoint> add(String sender, String url, String secret, List<Short> kinds, int maxInFlight) {
        return statements.one(c -> c.createStatement(ADD).bind(0, sender).bind(1, url).bind(2, secret)
                .bind(3, kinds.toArray(new Short[0])).bind(4, maxInFlight), PgWebhooks::endpoint);
    }

    public Flux<Endpoint> endpoints() {
        return statements.many(c -> c.createStatement(LIST), PgWebhooks::endpoint);
    }

    /** Removes an endpoint and its outbox rows (dead letters included); whether it existed. */
    public Mono<Boolean> remove(long id) {
        return statements.update(c -> c.createStatement(REMOVE).bind(0, id)).map(n -> n > 0);
    }

    /** Claims up to {@code limit} due rows of one endpoint for {@code lease}. */
    public Flux<OutboxEvent> claim(long endpointId, int limit, Duration lease) {
        return statements.many(c -> c.createStatement(CLAIM).bind(0, endpointId).bind(1, limit)
                .bind(2, lease.toMillis()), PgWebhooks::outboxEvent);
    }

    /** Deletes rows their endpoint accepted. */
    public Mono<Long> done(List<Long> outboxIds) {
        if (outboxIds.isEmpty()) {
            return Mono.just(0L);
        }
        return statements.update(c -> c.createStatement(DONE).bind(0, outboxIds.toArray(new Long[0])));
    }

    /** Records a failed POST of these rows: each due again or dead-lettered; {@code error} is kept (bounded). */
    public Mono<Long> failed(List<Failure> failures, String error) {
        if (failures.isEmpty()) {
            return Mono.just(0L);
        }
        Long[] ids = new Long[failures.size()];
        Instant[] dues = new Instant[failures.size()];
        Boolean[] dead = new Boolean[failures.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = failures.get(i).outboxId();
            dues[i] = failures.get(i).due();
            dead[i] = failures.get(i).dead();
        }
        String bounded = error.length() > 500 ? error.substring(0, 500) : error;
        return statements.update(c -> c.createStatement(FAILED).bind(0, ids).bind(1, dues).bind(2, dead)
                .bind(3, bounded));
    }

    /** Dead letters of one endpoint (null: all), at most {@code limit}. */
    public Flux<DeadLetter> deadLetters(@Nullable Long endpointId, int limit) {
        return statements.many(c -> Statements.bindNullable(c.createStatement(DEAD), 0, endpointId, Long.class)
                .bind(1, limit), row -> new DeadLetter(req(row.get("id", Long.class)),
                req(row.get("endpoint_id", Long.class)), req(row.get("event_id", Long.class)),
                instant(row, "event_at"), req(row.get("sender", String.class)),
                req(row.get("attempts", Integer.class)), row.get("last_error", String.class),
                instant(row, "dead_at")));
    }

    /** Puts an endpoint's dead letters back to pending, due now, with a fresh {@code max_age}; how many. */
    public Mono<Long> replay(long endpointId) {
        return statements.update(c -> c.createStatement(REPLAY).bind(0, endpointId));
    }

    /** Every endpoint's pending and dead-lettered rows. */
    public Flux<Counts> counts() {
        return statements.many(c -> c.createStatement(COUNTS), row -> new Counts(req(row.get("id", Long.class)),
                req(row.get("pending", Long.class)), req(row.get("dead", Long.class))));
    }

    private static Endpoint endpoint(Row row) {
        Short[] kinds = req(row.get("kinds", Short[].class));
        return new Endpoint(req(row.get("id", Long.class)), req(row.get("sender", String.class)),
                req(row.get("url", String.class)), req(row.get("secret", String.class)), List.of(kinds),
                req(row.get("active", Boolean.class)), req(row.get("max_in_flight", Integer.class)),
                instant(row, "created"));
    }

    private static OutboxEvent outboxEvent(Row row) {
        return new OutboxEvent(req(row.get("id", Long.class)), req(row.get("event_id", Long.class)),
                instant(row, "event_at"), req(row.get("sender", String.class)),
                req(row.get("attempts", Integer.class)), instant(row, "created"), row.get("kind", Short.class),
                row.get("message_id", UUID.class), row.get("recipient", String.class),
                row.get("attempt", Integer.class), row.get("remote_host", String.class),
                row.get("reply", String.class), row.get("category", String.class),
                row.get("bounce_class", String.class));
    }

    private static Instant instant(Row row, String column) {
        return req(row.get(column, OffsetDateTime.class)).toInstant();
    }

    private static <T> T req(@Nullable T value) {
        return Objects.requireNonNull(value, "unexpected NULL column");
    }
}
