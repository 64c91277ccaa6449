package dev.relay.storage;

import static dev.relay.storage.Statements.bindNullable;
import static dev.relay.storage.Statements.bytes;
import static dev.relay.storage.Statements.rows;
import static dev.relay.storage.Statements.rowsUpdated;

import dev.relay.storage.QueueRecords.Event;
import dev.relay.storage.QueueRecords.Filter;
import dev.relay.storage.QueueRecords.History;
import dev.relay.storage.QueueRecords.QueuedMessage;
import dev.relay.storage.QueueRecords.Removal;
import dev.relay.storage.QueueRecords.Resumed;
import dev.relay.storage.QueueRecords.SiteGroup;
import dev.relay.storage.QueueRecords.Suspension;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The operator's view of the queue and the operator's actions on it (schema V3), for the admin API. Reads are
 * plain queries; every action writes its event rows in the same statement or transaction as its change.
 *
 * <p>Recipients a node holds in flight are never taken from under it: a delete or bounce takes the queued
 * recipients of a message (locked, so no node can claim them meanwhile) and reports the in-flight ones, which end
 * with their delivery attempt like any other. The scheduler keeps a job whose rows went missing harmless: its
 * write-back matches no row and changes nothing.
 */
public final class PgQueueAdmin {
    /** Largest groups of never-routed recipients reported with their domain; the rest form one group. */
    public static final int UNROUTED_DOMAINS = 200;

    /**
     * The webhook outbox source of the events an action wrote ({@code ev}, returning id, at, kind, sender), so the
     * outbox rows commit with them (the sender '' for site events: only endpoints for every sender get them).
     */
    private static final String EVENTS_OF_EV = "SELECT id AS event_id, at AS event_at, kind, sender FROM ev";
    private static final String SUMMARY = "WITH g AS (SELECT r.site, CASE WHEN r.site IS NULL THEN r.domain END AS domain,"
            + " r.priority, count(*) AS n, count(*) FILTER (WHERE r.state = 1) AS in_flight,"
            + " count(*) FILTER (WHERE r.state = 0 AND r.attempts > 0) AS deferred, min(m.received_at) AS oldest,"
            + " min(r.next_attempt_at) FILTER (WHERE r.state = 0) AS next_attempt"
            + " FROM recipient r JOIN message m ON m.id = r.message_id GROUP BY 1, 2, 3),"
            + " ranked AS (SELECT g.*, CASE WHEN site IS NULL THEN row_number() OVER (PARTITION BY site IS NULL"
            + " ORDER BY n DESC, domain) END AS rank FROM g)"
            + " SELECT site, CASE WHEN rank <= " + UNROUTED_DOMAINS + " THEN domain END AS domain, priority,"
            + " sum(n)::bigint AS n, sum(in_flight)::bigint AS in_flight, sum(deferred)::bigint AS deferred,"
            + " min(oldest) AS oldest, min(next_attempt) AS next_attempt FROM ranked GROUP BY 1, 2, 3"
            + " ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3";
    private static final String ENTRY_COLUMNS = "r.message_id, r.idx, r.address, r.domain, r.site, r.state,"
            + " r.claimed_by, r.attempts, r.next_attempt_at, r.last_reply, r.priority, m.reverse_path, m.received_at";
    /** State codes of the filter: 0 queued (never tried), 1 deferred, 2 in flight. */
    private static final String LIST = "SELECT " + ENTRY_COLUMNS
            + " FROM recipient r JOIN message m ON m.id = r.message_id"
            + " WHERE ($1::text IS NULL OR r.domain = $1) AND ($2::text IS NULL OR r.site = $2)"
            + " AND ($3::int IS NULL OR (CASE WHEN r.state = 1 THEN 2 WHEN r.attempts > 0 THEN 1 ELSE 0 END) = $3)"
            + " ORDER BY r.message_id, r.idx LIMIT $4";
    private static final String MESSAGE = "SELECT id, reverse_path, account, priority, received_at, size,"
            + " client_address, helo, body_8bit, smtputf8 FROM message WHERE id = $1";
    private static final String EVENTS = "SELECT at, kind, recipient, attempt, remote_host, reply, site, actor"
            + " FROM event WHERE message_id = $1 ORDER BY id";
    private static final String FLUSH = "WITH f AS (UPDATE recipient SET next_attempt_at = now()"
            + " WHERE state = 0 AND next_attempt_at > now() AND ($1::text IS NULL OR domain = $1)"
            + " RETURNING message_id, idx, address, site),"
            + " ev AS (INSERT INTO event(message_id, recipient, recipient_idx, sender, kind, site, actor)"
            + " SELECT f.message_id, f.address, f.idx, coalesce(m.account, ''), " + EventKind.FLUSHED.code()
            + ", f.site, $2 FROM f JOIN message m ON m.id = f.message_id ORDER BY f.message_id, f.idx"
            + " RETURNING id, at, kind, sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + ")"
            + " SELECT count(*) FROM f";
    private static final String SUSPEND = "WITH s AS (INSERT INTO site_suspension(site, until, reason, created_by)"
            + " VALUES ($1, $2, $3, $4) ON CONFLICT (site) DO UPDATE SET until = excluded.until,"
            + " reason = excluded.reason, created_by = excluded.created_by, created_at = now()"
            + " RETURNING site, until, reason, created_by, created_at),"
            + " ev AS (INSERT INTO event(kind, site, actor, reply) SELECT " + EventKind.SITE_SUSPENDED.code()
            + ", site, created_by, reason || CASE WHEN until IS NULL THEN ' (until resumed)'"
            + " ELSE ' (until ' || to_char(until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ')' END"
            + " FROM s RETURNING id, at, kind, '' AS sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + ")"
            + " SELECT site, until, reason, created_by, created_at FROM s";
    /** Lifts the suspension and makes the site's queued recipients (held ones included) due now. */
    private static final String RESUME = "WITH d AS (DELETE FROM site_suspension WHERE site = $1 RETURNING site),"
            + " f AS (UPDATE recipient SET next_attempt_at = now() WHERE state = 0 AND site = $1"
            + " AND next_attempt_at > now() AND EXISTS (SELECT 1 FROM d) RETURNING 1),"
            + " ev AS (INSERT INTO event(kind, site, actor) SELECT " + EventKind.SITE_RESUMED.code() + ", site, $2"
            + " FROM d RETURNING id, at, kind, '' AS sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + ")"
            + " SELECT (SELECT count(*) FROM d) AS resumed, (SELECT count(*) FROM f) AS flushed";
    private static final String SUSPENSIONS = "SELECT site, until, reason, created_by, created_at"
            + " FROM site_suspension WHERE until IS NULL OR until > now() ORDER BY site";
    private static final String LOCK_MESSAGE = MESSAGE + " FOR UPDATE";
    private static final String RECIPIENTS = "SELECT " + ENTRY_COLUMNS
            + " FROM recipient r JOIN message m ON m.id = r.message_id WHERE r.message_id = $1 ORDER BY r.idx";
    private static final String LOCK_RECIPIENTS = RECIPIENTS + " FOR UPDATE OF r";
    private static final String REMOVE = "WITH d AS (DELETE FROM recipient WHERE message_id = $1 AND idx = ANY($2)"
            + " AND state = 0 RETURNING idx, address, site),"
            // the message row is still there (RETIRE runs after): it names the sender
            + " ev AS (INSERT INTO event(message_id, recipient, recipient_idx, sender, kind, reply, site, actor)"
            + " SELECT $1, address, idx, coalesce((SELECT account FROM message WHERE id = $1), ''), $3, $4, site, $5"
            + " FROM d ORDER BY idx RETURNING id, at, kind, sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + ")"
            + " SELECT count(*) FROM d";
    private static final String RETIRE = "DELETE FROM message m WHERE m.id = $1"
            + " AND NOT EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id)";

    private final Statements statements;

    public PgQueueAdmin(ConnectionFactory pool) {
        this.statements = new Statements(pool, "queue admin");
    }

    /**
     * Every recipient still to deliver, grouped by site (null: never routed) and priority. Reads the whole
     * recipient table: cheap for the thousands an operator inspects, a second or so for millions.
     */
    public Flux<SiteGroup> summary() {
        return statements.many(c -> c.createStatement(SUMMARY), row -> new SiteGroup(
                row.get("site", String.class), row.get("domain", String.class),
                Priority.fromCode(req(row.get("priority", Short.class))), req(row.get("n", Long.class)),
                req(row.get("in_flight", Long.class)), req(row.get("deferred", Long.class)),
                instant(req(row.get("oldest", OffsetDateTime.class))),
                optionalInstant(row.get("next_attempt", OffsetDateTime.class))));
    }

    /** Recipients matching {@code filter}, oldest message first. */
    public Flux<QueueEntry> list(Filter filter) {
        return statements.many(c -> {
            Statement s = c.createStatement(LIST);
            bindNullable(s, 0, filter.domain(), String.class);
            bindNullable(s, 1, filter.site(), String.class);
            QueueEntry.State state = filter.state();
            bindNullable(s, 2, state == null ? null : state.ordinal(), Integer.class);
            return s.bind(3, filter.limit());
        }, PgQueueAdmin::entry);
    }

    /** The message while queued, and its events; empty when neither exists. */
    public Mono<History> show(MessageId id) {
        Objects.requireNonNull(id, "id");
        return statements.withConnection(c -> rows(c.createStatement(MESSAGE).bind(0, id.uuid()),
                        PgQueueAdmin::header).collectList()
                        .flatMap(headers -> rows(c.createStatement(RECIPIENTS).bind(0, id.uuid()), PgQueueAdmin::entry)
                                .collectList()
                                .flatMap(recipients -> rows(c.createStatement(EVENTS).bind(0, id.uuid()),
                                        PgQueueAdmin::event).collectList()
                                        .map(events -> new History(id, headers.isEmpty() ? null
                                                : headers.get(0).with(recipients).message(), events)))),
                        Statements.TIMEOUT)
                .filter(h -> h.message() != null || !h.events().isEmpty());
    }

    /**
     * Makes queued recipients whose next attempt is in the future due now (of one lower-case domain, or all),
     * with a {@code flushed} event each. Emits how many.
     */
    public Mono<Long> flush(@Nullable String domain, String actor) {
        return statements.one(c -> {
            Statement s = c.createStatement(FLUSH);
            bindNullable(s, 0, domain, String.class);
            return s.bind(1, actor);
        }, row -> req(row.get(0, Long.class)));
    }

    /** Suspends {@code site} until {@code until} (null: until resumed), replacing any suspension of it. */
    public Mono<Suspension> suspend(String site, @Nullable Instant until, String reason, String actor) {
        return statements.one(c -> {
            Statement s = c.createStatement(SUSPEND).bind(0, site);
            bindNullable(s, 1, until, Instant.class);
            return s.bind(2, reason).bind(3, actor);
        }, PgQueueAdmin::suspension);
    }

    /** Lifts the suspension of {@code site} and makes its queued recipients due now. */
    public Mono<Resumed> resume(String site, String actor) {
        return statements.one(c -> c.createStatement(RESUME).bind(0, site).bind(1, actor),
                row -> new Resumed(req(row.get("resumed", Long.class)) > 0, req(row.get("flushed", Long.class))));
    }

    /** Suspensions in force now. */
    public Flux<Suspension> suspensions() {
        return statements.many(c -> c.createStatement(SUSPENSIONS), PgQueueAdmin::suspension);
    }

    /** Takes the queued recipients of {@code id} out of the queue without telling the sender. */
    public Mono<Removal> delete(MessageId id, String actor) {
        return remove(id, EventKind.ADMIN_DELETED, "deleted by an operator", actor, null);
    }

    /**
     * Takes the queued recipients of {@code id} out of the queue after {@code notice} (the DSN) completed for them,
     * in one transaction: a failed notice leaves the queue as it was. {@code notice} gets the message with the
     * recipients being bounced, and its content.
     */
    public Mono<Removal> bounce(MessageId id, String actor, String reason,
                                BiFunction<ClaimedMessage, byte[], Mono<Void>> notice) {
        return remove(id, EventKind.ADMIN_BOUNCED, reason, actor, Objects.requireNonNull(notice, "notice"));
    }

    private Mono<Removal> remove(MessageId id, EventKind kind, String reply, String actor,
                                 @Nullable BiFunction<ClaimedMessage, byte[], Mono<Void>> notice) {
        Objects.requireNonNull(id, "id");
        // two statements and a DSN inside the transaction: twice the bound of one statement
        return statements.withConnection(c -> Database.inTransaction(c, tx ->
                        rows(c.createStatement(LOCK_MESSAGE).bind(0, id.uuid()), PgQueueAdmin::header).next()
                                .flatMap(m -> rows(c.createStatement(LOCK_RECIPIENTS).bind(0, id.uuid()),
                                        PgQueueAdmin::entry).collectList()
                                        .flatMap(all -> removeLocked(c, m.with(all), kind, reply, actor, notice)))
                                .defaultIfEmpty(new Removal(id, false, List.of(), List.of()))),
                Statements.TIMEOUT.multipliedBy(2));
    }

    private Mono<Removal> removeLocked(Connection c, LockedMessage m, EventKind kind, String reply, String actor,
                                       @Nullable BiFunction<ClaimedMessage, byte[], Mono<Void>> notice) {
        List<QueueEntry> queued = new ArrayList<>();
        List<QueueEntry> inFlight = new ArrayList<>();
        for (QueueEntry e : m.message().recipients()) {
            (e.state() == QueueEntry.State.IN_FLIGHT ? inFlight : queued).add(e);
        }
        MessageId id = m.message().id();
        if (queued.isEmpty()) {
            return Mono.just(new Removal(id, true, List.of(), inFlight));
        }
        Short[] indexes = queued.stream().map(e -> (short) e.index()).toArray(Short[]::new);
        Mono<Void> before = notice == null ? Mono.empty()
                : rows(c.createStatement("SELECT content FROM message WHERE id = $1").bind(0, id.uuid()),
                        row -> bytes(req(row.get(0, ByteBuffer.class)))).next()
                        .flatMap(content -> notice.apply(m.claimed(queued), content));
        return before
                .then(rows(c.createStatement(REMOVE).bind(0, id.uuid()).bind(1, indexes).bind(2, kind.code())
                        .bind(3, reply).bind(4, actor), row -> req(row.get(0, Long.class))).then())
                .then(rowsUpdated(c.createStatement(RETIRE).bind(0, id.uuid())).then())
                .thenReturn(new Removal(id, true, queued.stream().map(QueueEntry::address).toList(), inFlight));
    }

    /** A locked message row with its recipients, and the envelope flags a DSN needs. */
    private record LockedMessage(QueuedMessage message, boolean body8bit, boolean smtputf8) {
        ClaimedMessage claimed(List<QueueEntry> recipients) {
            return new ClaimedMessage(message.id(), message.reversePath(), message.priority(), message.receivedAt(),
                    message.size(), body8bit, smtputf8, recipients.stream()
                    .map(e -> new ClaimedRecipient(e.index(), e.address(), e.domain(), e.attempts())).toList());
        }
    }

    /** The message row, read inside the row mapper (a Row is only valid there). */
    private record Header(MessageId id, String reversePath, @Nullable String account, Priority priority,
                          Instant receivedAt, int size, String clientAddress, String helo, boolean body8bit,
                          boolean smtputf8) {
        LockedMessage with(List<QueueEntry> recipients) {
            return new LockedMessage(new QueuedMessage(id, reversePath, account, priority, receivedAt, size,
                    clientAddress, helo, recipients), body8bit, smtputf8);
        }
    }

    private static Header header(Row m) {
        return new Header(new MessageId(req(m.get("id", UUID.class))), req(m.get("reverse_path", String.class)),
                m.get("account", String.class), Priority.fromCode(req(m.get("priority", Short.class))),
                instant(req(m.get("received_at", OffsetDateTime.class))), req(m.get("size", Integer.class)),
                req(m.get("client_address", String.class)), req(m.get("helo", String.class)),
                req(m.get("body_8bit", Boolean.class)), req(m.get("smtputf8", Boolean.class)));
    }

    private static QueueEntry entry(Row row) {
        int state = req(row.get("state", Short.class));
        int attempts = req(row.get("attempts", Integer.class));
        return new QueueEntry(new MessageId(req(row.get("message_id", UUID.class))), req(row.get("idx", Short.class)),
                req(row.get("address", String.class)), req(row.get("domain", String.class)),
                row.get("site", String.class), QueueEntry.State.of(state, attempts),
                row.get("claimed_by", String.class), attempts,
                instant(req(row.get("next_attempt_at", OffsetDateTime.class))), row.get("last_reply", String.class),
                Priority.fromCode(req(row.get("priority", Short.class))), req(row.get("reverse_path", String.class)),
                instant(req(row.get("received_at", OffsetDateTime.class))));
    }

    private static Event event(Row row) {
        return new Event(instant(req(row.get("at", OffsetDateTime.class))), req(row.get("kind", Short.class)),
                row.get("recipient", String.class), row.get("attempt", Integer.class),
                row.get("remote_host", String.class), row.get("reply", String.class), row.get("site", String.class),
                row.get("actor", String.class));
    }

    private static Suspension suspension(Row row) {
        return new Suspension(req(row.get("site", String.class)),
                optionalInstant(row.get("until", OffsetDateTime.class)), req(row.get("reason", String.class)),
                req(row.get("created_by", String.class)), instant(req(row.get("created_at", OffsetDateTime.class))));
    }

    private static Instant instant(OffsetDateTime t) {
        return t.toInstant();
    }

    private static @Nullable Instant optionalInstant(@Nullable OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static <T> T req(@Nullable T value) {
        return Objects.requireNonNull(value, "unexpected NULL column");
    }
}
