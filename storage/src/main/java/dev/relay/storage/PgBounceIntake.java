package dev.relay.storage;

import static dev.relay.storage.Statements.bindNullable;

import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * What the bounce intake reads and writes (schema V9): the recipient a VERP token names, the event a returned
 * bounce, complaint or auto-reply becomes (with its rollup counts, in the same statement), and the bounces kept
 * because they could not be used. Immutable and thread-safe; results arrive on the driver's I/O thread.
 */
public final class PgBounceIntake {
    /** The addresses a token names: still queued (the spool), else the newest event the write-back wrote for it. */
    private static final String LINK = "SELECT address, account AS sender, 0 AS o FROM recipient r"
            + " JOIN message m ON m.id = r.message_id WHERE r.message_id = $1 AND r.idx = $2"
            + " UNION ALL (SELECT recipient, sender, 1 FROM event WHERE message_id = $1 AND recipient_idx = $2"
            + " AND recipient IS NOT NULL ORDER BY id DESC LIMIT 1)"
            + " ORDER BY o LIMIT 1";
    /** The webhook outbox source of the events written ({@code ev}), committed with them (like the write-back). */
    private static final String EVENTS_OF_EV = "SELECT id AS event_id, at AS event_at, kind, coalesce(sender, '')"
            + " AS sender FROM ev";
    private static final String EVENT_COLUMNS = "message_id, recipient, recipient_idx, sender, kind, remote_host,"
            + " reply, category, bounce_class, actor";
    private static final String RECORD = "WITH ev AS (INSERT INTO event(" + EVENT_COLUMNS + ")"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'intake') RETURNING id, at, sender, kind, bounce_class),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + "),"
            + " " + Rollups.ctes("roll", classCounts("ev"))
            + " SELECT count(*) FROM ev";
    private static final String KEEP = "WITH k AS (INSERT INTO bounce_kept(reason, message_id, recipient_idx,"
            + " client_address, content) VALUES ($1, $2, $3, $4, $5) RETURNING id),"
            + " ev AS (INSERT INTO event(message_id, recipient_idx, kind, reply, actor) SELECT $2, $3, "
            + EventKind.BOUNCE_KEPT.code() + ", 'kept as ' || k.id || ': ' || $1, 'intake' FROM k"
            + " RETURNING id, at, '' AS sender, kind, NULL::text AS bounce_class),"
            + " hook AS (" + WebhookOutbox.insert(EVENTS_OF_EV) + "),"
            + " " + Rollups.ctes("roll", classCounts("ev"))
            + " SELECT id FROM k";

    /**
     * The category and class of bounced, deferred and expired events the delivery write-back just wrote (it writes
     * them unclassified; the classification follows within milliseconds, after its COMMIT), and the rollup counts by
     * class of the bounced ones. {@code category IS NULL} picks the newest deferral of a recipient, not the earlier
     * ones; {@code at >= $5} keeps the search to the partitions of the last minutes.
     */
    private static final String CLASSIFY = "WITH c AS (SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[],"
            + " $4::text[]) AS c(message_id, idx, category, bounce_class)),"
            + " u AS (UPDATE event e SET category = CASE WHEN e.kind = " + EventKind.EXPIRED.code()
            + " THEN 'expired' ELSE c.category END, bounce_class = CASE WHEN e.kind = " + EventKind.EXPIRED.code()
            + " THEN 'soft' ELSE c.bounce_class END FROM c WHERE e.message_id = c.message_id"
            + " AND e.recipient_idx = c.idx AND e.kind IN (" + EventKind.DEFERRED.code() + ", "
            + EventKind.BOUNCED.code() + ", " + EventKind.EXPIRED.code() + ") AND e.category IS NULL"
            + " AND e.at >= $5 RETURNING e.sender, e.kind, e.bounce_class),"
            + " " + Rollups.ctes("roll", "SELECT coalesce(sender, '') AS sender, CASE bounce_class WHEN 'hard'"
            + " THEN " + EventKind.HARD_BOUNCE.code() + " ELSE " + EventKind.SOFT_BOUNCE.code()
            + " END::smallint AS kind FROM u WHERE kind = " + EventKind.BOUNCED.code())
            + " SELECT count(*) FROM u";

    private final Statements statements;

    public PgBounceIntake(io.r2dbc.spi.ConnectionFactory pool) {
        this.statements = new Statements(pool, "bounce intake");
    }

    /**
     * The rollup source for the events of {@code table} (columns sender, kind, bounce_class): each event under its
     * kind, and a bounced one once more under {@link EventKind#HARD_BOUNCE} or {@link EventKind#SOFT_BOUNCE}.
     */
    static String classCounts(String table) {
        return "SELECT coalesce(sender, '') AS sender, kind FROM " + table
                + " UNION ALL SELECT coalesce(sender, ''), CASE bounce_class WHEN 'hard' THEN "
                + EventKind.HARD_BOUNCE.code() + " ELSE " + EventKind.SOFT_BOUNCE.code() + " END::smallint FROM "
                + table + " WHERE kind = " + EventKind.BOUNCED.code() + " AND bounce_class IS NOT NULL";
    }

    /** The recipient (address, and the sender that sent to it) of a token; empty when it is no longer known. */
    public Mono<Linked> link(MessageId message, int recipientIndex) {
        Objects.requireNonNull(message, "message");
        return statements.one(c -> c.createStatement(LINK).bind(0, message.uuid()).bind(1, (short) recipientIndex),
                PgBounceIntake::linked);
    }

    /**
     * Classifies the unclassified bounced/deferred/expired events of ({@code messages[i]}, {@code indexes[i]})
     * written since {@code since}: {@code categories[i]}, {@code classes[i]} (expired ones: expired, soft). Emits how
     * many rows changed.
     */
    public Mono<Long> classify(MessageId message, List<Integer> indexes, List<String> categories,
                               List<String> classes, java.time.Instant since) {
        int n = indexes.size();
        java.util.UUID[] ids = new java.util.UUID[n];
        Short[] idx = new Short[n];
        for (int i = 0; i < n; i++) {
            ids[i] = message.uuid();
            idx[i] = (short) indexes.get(i).intValue();
        }
        return statements.one(c -> c.createStatement(CLASSIFY).bind(0, ids).bind(1, idx)
                .bind(2, categories.toArray(new String[0])).bind(3, classes.toArray(new String[0]))
                .bind(4, since.atOffset(java.time.ZoneOffset.UTC)), row -> row.get(0, Long.class));
    }

    /** Writes {@code e} and counts it in the rollups. */
    public Mono<Void> record(IntakeEvent e) {
        Objects.requireNonNull(e, "event");
        return statements.one(c -> bind(c.createStatement(RECORD), e), row -> row.get(0, Long.class)).then();
    }

    /** Keeps a bounce that could not be used; emits its id in {@code bounce_kept}. */
    public Mono<Long> keep(String reason, @Nullable MessageId message, @Nullable Integer recipientIndex,
                           String clientAddress, byte[] content) {
        String r = Objects.requireNonNull(StoredText.clean(reason));
        return statements.one(c -> {
            Statement s = c.createStatement(KEEP).bind(0, r);
            bindNullable(s, 1, message == null ? null : message.uuid(), java.util.UUID.class);
            bindNullable(s, 2, recipientIndex == null ? null : (short) recipientIndex.intValue(), Short.class);
            return s.bind(3, clientAddress).bind(4, java.nio.ByteBuffer.wrap(content));
        }, row -> row.get(0, Long.class));
    }

    private static Statement bind(Statement s, IntakeEvent e) {
        s.bind(0, e.message().uuid()).bind(1, e.recipient()).bind(2, (short) e.recipientIndex());
        bindNullable(s, 3, e.sender(), String.class);
        s.bind(4, e.kind().code());
        bindNullable(s, 5, e.remoteHost() == null ? null : StoredText.clean(e.remoteHost()), String.class);
        bindNullable(s, 6, e.reply() == null ? null : StoredText.clean(e.reply()), String.class);
        bindNullable(s, 7, e.category(), String.class);
        bindNullable(s, 8, e.bounceClass(), String.class);
        return s;
    }

    private static Linked linked(Row row) {
        return new Linked(Objects.requireNonNull(row.get("address", String.class), "address"),
                row.get("sender", String.class));
    }

    /** The recipient a token names; {@code sender} the AUTH user ('' or null: none). */
    public record Linked(String address, @Nullable String sender) {
        public Linked {
            Objects.requireNonNull(address, "address");
        }
    }

    /** One event of the intake, about recipient {@code recipientIndex} ({@code recipient}) of {@code message}. */
    public record IntakeEvent(MessageId message, String recipient, int recipientIndex, @Nullable String sender,
                              EventKind kind, @Nullable String remoteHost, @Nullable String reply,
                              @Nullable String category, @Nullable String bounceClass) {
        public IntakeEvent {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(recipient, "recipient");
            Objects.requireNonNull(kind, "kind");
        }
    }
}
