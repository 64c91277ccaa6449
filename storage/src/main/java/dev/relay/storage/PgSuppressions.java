package dev.relay.storage;

import static dev.relay.storage.Statements.bindNullable;
import static dev.relay.storage.Statements.rows;

import dev.relay.storage.SuppressionRecords.Added;
import dev.relay.storage.SuppressionRecords.Addition;
import dev.relay.storage.SuppressionRecords.Change;
import dev.relay.storage.SuppressionRecords.Cursor;
import dev.relay.storage.SuppressionRecords.Filter;
import dev.relay.storage.SuppressionRecords.Page;
import dev.relay.storage.SuppressionRecords.Reason;
import dev.relay.storage.SuppressionRecords.SoftBounceCount;
import dev.relay.storage.SuppressionRecords.SoftBounceRule;
import dev.relay.storage.SuppressionRecords.Suppression;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The suppression list (schema V4): addresses a sender (a scope, or {@code '*'} for all) must not mail any more.
 * Every change writes its event row in the same statement. Immutable and thread-safe; results arrive on the
 * driver's I/O thread.
 *
 * <p>Adding is idempotent: an address already listed keeps its entry unless the new reason is stronger
 * ({@link Reason}'s order) or the entry has expired, and only a change writes an event. Listing pages by keyset on
 * (created_at, scope, address), never by offset, so page ten thousand costs what page one does; the scope is in the
 * key because (created_at, address) alone is not unique across scopes. The export is the same pages, chained, so it
 * holds one page in memory and no transaction open, however long the list.
 */
public final class PgSuppressions {
    /** Entries per query of an export. */
    static final int EXPORT_PAGE = 1000;

    private static final String COLUMNS = "scope, address, reason, category, detail, created_at, expires_at, created_by";
    private static final String STRENGTH = "array_position(ARRAY['soft_bounces', 'manual', 'hard_bounce',"
            + " 'unsubscribe', 'complaint'], %s)";
    /** The sender a scope's events are for (the webhooks, the rollups): the scope, '' for the global list. */
    private static final String SENDER_OF_SCOPE = "CASE WHEN scope = '*' THEN '' ELSE scope END";
    /** The webhook outbox source of the events written ({@code ev}), committed with them. */
    private static final String EVENTS_OF_EV = "SELECT id AS event_id, at AS event_at, kind, sender FROM ev";
    private static final String ADD = "WITH s AS (INSERT INTO suppression(scope, address, reason, category, detail,"
            + " expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            + " ON CONFLICT (scope, address) DO UPDATE SET reason = excluded.reason, category = excluded.category,"
            + " detail = excluded.detail, expires_at = excluded.expires_at, created_by = excluded.created_by,"
            + " created_at = now()"
            + " WHERE " + STRENGTH.formatted("excluded.reason") + " > " + STRENGTH.formatted("suppression.reason")
            + " OR (suppression.expires_at IS NOT NULL AND suppression.expires_at <= now())"
            + " RETURNING " + COLUMNS + ", (xmax = 0) AS inserted),"
            + " ev AS (INSERT INTO event(kind, recipient, sender, actor, reply) SELECT "
            + EventKind.SUPPRESSION_ADDED.code() + ", address, " + SENDER_OF_SCOPE
            + ", created_by, 'scope ' || scope || ': ' || reason || coalesce(' (' || category || ')', '')"
            + " || coalesce(': ' || detail, '') FROM s RETURNING id, at, kind, sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + "),"
            // the statistics count additions per sender (the scope; '' for the global list) as suppression_added
            + " " + Rollups.ctes("roll", "SELECT " + SENDER_OF_SCOPE + " AS sender, "
            + EventKind.SUPPRESSION_ADDED.code() + "::smallint AS kind FROM s")
            + " SELECT " + COLUMNS + ", CASE WHEN inserted THEN 'added' ELSE 'raised' END AS change FROM s"
            + " UNION ALL SELECT " + COLUMNS + ", 'unchanged' FROM suppression WHERE scope = $1 AND address = $2"
            + " AND NOT EXISTS (SELECT 1 FROM s)";
    private static final String EXACT = "SELECT " + COLUMNS + ", 'unchanged' AS change FROM suppression"
            + " WHERE scope = $1 AND address = $2";
    private static final String REMOVE = "WITH d AS (DELETE FROM suppression WHERE scope = $1 AND address = $2"
            + " RETURNING scope, address, reason),"
            + " ev AS (INSERT INTO event(kind, recipient, sender, actor, reply) SELECT "
            + EventKind.SUPPRESSION_REMOVED.code() + ", address, " + SENDER_OF_SCOPE
            + ", $3, 'scope ' || scope || ': ' || reason FROM d RETURNING id, at, kind, sender),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + ")"
            + " SELECT count(*) FROM d";
    /** The sender's own entry before a global one: its reason is the one the sender set or caused. */
    private static final String LOOKUP = "SELECT " + COLUMNS + " FROM suppression WHERE address = $2"
            + " AND scope IN ($1, '*') AND (expires_at IS NULL OR expires_at > now())"
            + " ORDER BY scope = '*' LIMIT 1";
    private static final String SHOW = "SELECT " + COLUMNS + " FROM suppression WHERE address = $1 ORDER BY scope";
    private static final String LIST = "SELECT " + COLUMNS + " FROM suppression"
            + " WHERE ($1::text IS NULL OR scope = $1) AND ($2::text IS NULL OR reason = $2)"
            + " AND ($3::timestamptz IS NULL OR created_at >= $3)";
    private static final String LIST_AFTER = LIST + " AND (created_at, scope, address) > ($5, $6, $7)";
    private static final String ORDER = " ORDER BY created_at, scope, address LIMIT $4";
    /** Prunes the key's soft bounces older than the window, records one, and counts those in the window. */
    private static final String SOFT = "WITH p AS (DELETE FROM soft_bounce WHERE scope = $1 AND address = $2"
            + " AND at <= now() - $3 * interval '1 millisecond'),"
            + " i AS (INSERT INTO soft_bounce(scope, address) VALUES ($1, $2))"
            + " SELECT count(*) + 1 FROM soft_bounce WHERE scope = $1 AND address = $2"
            + " AND at > now() - $3 * interval '1 millisecond'";
    private static final String SOFT_RESET = "DELETE FROM soft_bounce WHERE scope = $1 AND address = $2";

    /**
     * The recipients accepted while suppressed ({@code suppression.mode: accept_and_record}): one {@code suppressed}
     * event each, with the message's {@code accepted} event when nothing of it was stored (every recipient
     * suppressed), their outbox rows and rollup counts, in one statement.
     */
    private static final String SUPPRESSED = "WITH a AS (INSERT INTO event(message_id, kind, sender,"
            + " client_message_id) SELECT $1, " + EventKind.ACCEPTED.code() + ", $2, $5 WHERE $6::boolean"
            + " RETURNING id, at, kind, sender),"
            + " s AS (INSERT INTO event(message_id, recipient, sender, kind, reply) SELECT $1, r.address, $2, "
            + EventKind.SUPPRESSED.code() + ", r.reply FROM unnest($3::text[], $4::text[]) AS r(address, reply)"
            + " RETURNING id, at, kind, sender),"
            + " ev AS (SELECT * FROM a UNION ALL SELECT * FROM s),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + "),"
            + " " + Rollups.ctes("roll", "SELECT sender, kind FROM ev")
            + " SELECT count(*) FROM s";

    /**
     * The addresses of every entry (any scope, expired ones included) created after $1 (NULL: all), by the listing's
     * keyset, for the RCPT membership filter: three narrow columns, from the created_at index.
     */
    private static final String ADDRESSES = "SELECT created_at, scope, address FROM suppression"
            + " WHERE ($1::timestamptz IS NULL OR created_at > $1)";
    private static final String ADDRESSES_AFTER = ADDRESSES + " AND (created_at, scope, address) > ($3, $4, $5)";
    private static final String ADDRESSES_ORDER = " ORDER BY created_at, scope, address LIMIT $2";
    /** Addresses per query of {@link #addresses}. */
    static final int ADDRESS_PAGE = 5000;

    /** One page of {@link #addresses}: lower-case addresses, and the key of the last (null: the page is empty). */
    public record AddressPage(java.util.List<String> addresses, @Nullable Cursor last) {
        public AddressPage {
            addresses = java.util.List.copyOf(addresses);
        }
    }

    private final Statements statements;

    public PgSuppressions(ConnectionFactory pool) {
        this.statements = new Statements(pool, "suppression list");
    }

    /** Adds {@code a}, or raises an existing entry's reason, or leaves a stronger one as it is; see the class. */
    public Mono<Added> add(Addition a) {
        Objects.requireNonNull(a, "addition");
        return statements.withConnection(c -> add(c, a), Statements.TIMEOUT);
    }

    /**
     * Adds the address a hard bounce showed dead (for the write-back of delivery outcomes and the bounce intake):
     * reason {@code hard_bounce}, {@code category} from the classifier, {@code detail} the reply (cleaned and cut
     * here), actor {@code bounce}.
     */
    public Mono<Added> addHardBounce(String scope, String address, @Nullable String category, @Nullable String detail) {
        return add(new Addition(scope, address, Reason.HARD_BOUNCE, category, detail, null, "bounce"));
    }

    /** Adds the address whose recipient complained (an ARF report): reason {@code complaint}, actor complaint. */
    public Mono<Added> addComplaint(String scope, String address, @Nullable String detail) {
        return add(new Addition(scope, address, Reason.COMPLAINT, "complaint", detail, null, "complaint"));
    }

    /**
     * Counts a soft bounce of {@code address} for {@code scope}; when {@code rule.count()} of them fall within
     * {@code rule.window()}, adds the address with reason {@code soft_bounces} and starts the count again, all in one
     * transaction. Not called yet: the write-back of delivery outcomes will.
     */
    public Mono<SoftBounceCount> softBounce(String scope, String address, @Nullable String category,
                                            @Nullable String detail, SoftBounceRule rule) {
        Addition addition = new Addition(scope, address, Reason.SOFT_BOUNCES, category,
                rule.count() + " soft bounces within " + rule.window() + (detail == null ? "" : "; last: " + detail),
                null, "bounce");
        return statements.withConnection(c -> Database.inTransaction(c, tx ->
                rows(c.createStatement(SOFT).bind(0, addition.scope()).bind(1, addition.address())
                        .bind(2, (double) rule.window().toMillis()), row -> req(row.get(0, Long.class))).next()
                        .flatMap(n -> n < rule.count() ? Mono.just(new SoftBounceCount(n, null))
                                : add(c, addition).flatMap(added -> Statements.rowsUpdated(c.createStatement(SOFT_RESET)
                                                .bind(0, addition.scope()).bind(1, addition.address()))
                                        .thenReturn(new SoftBounceCount(n, added))))),
                Statements.TIMEOUT.multipliedBy(2));
    }

    /** Takes the entry of ({@code scope}, {@code address}) off the list; false when there was none. */
    public Mono<Boolean> remove(String scope, String address, String actor) {
        String s = SuppressionRecords.checkScope(scope);
        String a = SuppressionRecords.checkAddress(address);
        String by = SuppressionRecords.checkActor(actor);
        return statements.one(c -> c.createStatement(REMOVE).bind(0, s).bind(1, a).bind(2, by),
                row -> req(row.get(0, Long.class))).map(n -> n > 0).defaultIfEmpty(false);
    }

    /**
     * The entry in force that suppresses {@code address} for {@code scope}: the scope's own, else a global one;
     * empty when the address may be mailed. The check at RCPT.
     */
    public Mono<Suppression> lookup(String scope, String address) {
        String s = SuppressionRecords.checkScope(scope);
        String a = SuppressionRecords.checkAddress(address);
        return statements.one(c -> c.createStatement(LOOKUP).bind(0, s).bind(1, a), PgSuppressions::entry);
    }

    /** Every entry of {@code address}, in any scope, expired ones included, by scope. */
    public Flux<Suppression> show(String address) {
        String a = SuppressionRecords.checkAddress(address);
        return statements.many(c -> c.createStatement(SHOW).bind(0, a), PgSuppressions::entry);
    }

    /** One page of the entries matching {@code filter}, oldest first, and the cursor of the next page. */
    public Mono<Page> list(Filter filter) {
        Objects.requireNonNull(filter, "filter");
        return statements.many(c -> listStatement(c, filter), PgSuppressions::entry).collectList()
                .map(rows -> rows.size() > filter.limit()
                        ? new Page(rows.subList(0, filter.limit()), rows.get(filter.limit() - 1).cursor())
                        : new Page(rows, null));
    }

    /**
     * Every entry matching {@code filter} (its limit ignored), oldest first, page by page as the subscriber asks:
     * for a CSV or JSON export of any size.
     */
    public Flux<Suppression> export(Filter filter) {
        Filter paged = filter.limit(EXPORT_PAGE);
        return list(paged)
                .expand(page -> page.next() == null ? Mono.empty() : list(paged.after(page.next())))
                .concatMapIterable(Page::items, 1);
    }

    /**
     * The address of every entry created after {@code since} (null: of every entry), any scope, expired ones
     * included, oldest first, in pages of {@value #ADDRESS_PAGE} read one after the other as the subscriber asks:
     * one page in memory and no transaction open, however long the list. {@code since} is the database's time (a
     * previous page's {@code created_at}), never this node's clock.
     */
    public Flux<AddressPage> addresses(@Nullable Instant since) {
        return addressPage(since, null)
                .expand(page -> page.addresses().size() < ADDRESS_PAGE || page.last() == null ? Mono.empty()
                        : addressPage(since, page.last()), 1);
    }

    private Mono<AddressPage> addressPage(@Nullable Instant since, @Nullable Cursor after) {
        return statements.many(c -> {
            Statement s = c.createStatement((after == null ? ADDRESSES : ADDRESSES_AFTER) + ADDRESSES_ORDER);
            bindNullable(s, 0, since == null ? null : since.atOffset(ZoneOffset.UTC), OffsetDateTime.class);
            s.bind(1, ADDRESS_PAGE);
            if (after != null) {
                s.bind(2, after.createdAt().atOffset(ZoneOffset.UTC)).bind(3, after.scope()).bind(4, after.address());
            }
            return s;
        }, row -> new Cursor(req(row.get("created_at", OffsetDateTime.class)).toInstant(),
                req(row.get("scope", String.class)), req(row.get("address", String.class)))).collectList()
                .map(rows -> new AddressPage(rows.stream().map(Cursor::address).toList(),
                        rows.isEmpty() ? null : rows.get(rows.size() - 1)));
    }

    /** How many entries the list holds, any scope, expired ones included: to size the RCPT membership filter. */
    public Mono<Long> count() {
        return statements.one(c -> c.createStatement("SELECT count(*) FROM suppression"),
                row -> req(row.get(0, Long.class))).defaultIfEmpty(0L);
    }

    private static Statement listStatement(Connection c, Filter f) {
        Cursor after = f.after();
        Statement s = c.createStatement((after == null ? LIST : LIST_AFTER) + ORDER);
        bindNullable(s, 0, f.scope(), String.class);
        Reason reason = f.reason();
        bindNullable(s, 1, reason == null ? null : reason.label(), String.class);
        Instant since = f.since();
        bindNullable(s, 2, since == null ? null : since.atOffset(ZoneOffset.UTC), OffsetDateTime.class);
        s.bind(3, f.limit() + 1); // one more than the page: tells whether a next page exists
        if (after != null) {
            s.bind(4, after.createdAt().atOffset(ZoneOffset.UTC)).bind(5, after.scope()).bind(6, after.address());
        }
        return s;
    }

    private static Mono<Added> add(Connection c, Addition a) {
        Mono<Added> exact = Mono.defer(() -> rows(c.createStatement(EXACT).bind(0, a.scope()).bind(1, a.address()),
                PgSuppressions::added).next());
        Statement s = c.createStatement(ADD).bind(0, a.scope()).bind(1, a.address()).bind(2, a.reason().label());
        bindNullable(s, 3, a.category(), String.class);
        bindNullable(s, 4, a.detail(), String.class);
        Instant expires = a.expiresAt();
        bindNullable(s, 5, expires == null ? null : expires.atOffset(ZoneOffset.UTC), OffsetDateTime.class);
        s.bind(6, a.actor());
        // empty only when a concurrent addition of the same new key committed after this statement's snapshot and
        // won: its row is there now, unchanged by this one
        return rows(s, PgSuppressions::added).next().switchIfEmpty(exact);
    }

    private static Added added(Row row) {
        Change change = Change.valueOf(req(row.get("change", String.class)).toUpperCase(java.util.Locale.ROOT));
        return new Added(change, entry(row));
    }

    private static Suppression entry(Row row) {
        OffsetDateTime expires = row.get("expires_at", OffsetDateTime.class);
        return new Suppression(req(row.get("scope", String.class)), req(row.get("address", String.class)),
                Reason.parse(req(row.get("reason", String.class))), row.get("category", String.class),
                row.get("detail", String.class), req(row.get("created_at", OffsetDateTime.class)).toInstant(),
                expires == null ? null : expires.toInstant(), req(row.get("created_by", String.class)));
    }

    private static <T> T req(@Nullable T value) {
        return Objects.requireNonNull(value, "unexpected NULL column");
    }

    /**
     * Recipients of message {@code message} accepted at RCPT although suppressed, for {@code sender} (the AUTH
     * user, '' for none): retired at once, never queued. {@code replies[i]} says why {@code addresses[i]} was
     * (cleaned and cut here: it names the list's reason, not a peer's text). {@code withAccepted}: also the
     * message's accepted event, when no recipient of it was stored (the spool writes it otherwise).
     */
    public Mono<Long> recordSuppressed(MessageId message, String sender, java.util.List<String> addresses,
                                       java.util.List<String> replies, boolean withAccepted,
                                       @Nullable String clientMessageId) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(sender, "sender");
        if (addresses.size() != replies.size() || addresses.isEmpty()) {
            throw new IllegalArgumentException("one reply per address, at least one address");
        }
        String[] a = addresses.stream().map(StoredText::clean).toArray(String[]::new);
        String[] r = replies.stream().map(StoredText::clean).toArray(String[]::new);
        String mid = ClientMessageId.normalise(clientMessageId);
        String cleanSender = Objects.requireNonNull(StoredText.clean(sender));
        return statements.withConnection(c -> {
            Statement st = c.createStatement(SUPPRESSED).bind(0, message.uuid()).bind(1, cleanSender)
                    .bind(2, a).bind(3, r);
            bindNullable(st, 4, mid, String.class);
            st.bind(5, withAccepted);
            return rows(st, row -> Objects.requireNonNull(row.get(0, Long.class))).next();
        }, Statements.TIMEOUT);
    }
}
