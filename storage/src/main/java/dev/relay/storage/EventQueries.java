package dev.relay.storage;

import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * The read side of events: statistics from {@code event_rollup} only (never the event table, so their cost does not
 * grow with the events stored) and history pages of one message or one recipient address, newest first, by keyset
 * on the event id. Immutable.
 */
public final class EventQueries {
    private static final String STATS = "SELECT sender,"
            + " date_trunc($1, hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, kind, sum(n)::bigint AS n"
            + " FROM event_rollup WHERE hour >= $2 AND hour < $3 AND ($4::text IS NULL OR sender = $4)"
            + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    /** Per minute (V12): the minute rollup, kept only {@code events.minute_rollup_retention}. */
    private static final String STATS_BY_MINUTE = "SELECT sender, minute AS bucket, kind, sum(n)::bigint AS n"
            + " FROM event_rollup_minute WHERE minute >= $1 AND minute < $2 AND ($3::text IS NULL OR sender = $3)"
            + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    private static final String COLUMNS = "SELECT id, at, message_id, kind, recipient, attempt, remote_host, reply,"
            + " site, actor, category, bounce_class FROM event";
    private static final String BY_MESSAGE = COLUMNS + " WHERE message_id = $1 AND ($2::bigint IS NULL OR id < $2)"
            + " ORDER BY id DESC LIMIT $3";
    /** Every message accepted with this Message-ID (a client may reuse one), through the accepted events (V10). */
    private static final String BY_CLIENT_MESSAGE_ID = COLUMNS + " WHERE message_id IN (SELECT message_id FROM event"
            + " WHERE client_message_id = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
    private static final String BY_RECIPIENT = COLUMNS + " WHERE lower(recipient) = $1 AND recipient IS NOT NULL"
            + " AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";

    /**
     * The same pages for one sender: events of messages an event of which names it (the accepted event from V12 on,
     * the write-back's outcomes since V9), so a connected system sees its own messages only; $4 is the sender.
     */
    private static final String OF_SENDER = " AND EXISTS (SELECT 1 FROM event a WHERE a.message_id = e.message_id"
            + " AND a.sender = $4)";
    private static final String BY_MESSAGE_OF = COLUMNS + " e WHERE message_id = $1"
            + " AND ($2::bigint IS NULL OR id < $2)" + OF_SENDER + " ORDER BY id DESC LIMIT $3";
    private static final String BY_CLIENT_MESSAGE_ID_OF = COLUMNS + " e WHERE message_id IN (SELECT message_id"
            + " FROM event WHERE client_message_id = $1) AND ($2::bigint IS NULL OR id < $2)" + OF_SENDER
            + " ORDER BY id DESC LIMIT $3";
    private static final String BY_RECIPIENT_OF = COLUMNS + " e WHERE lower(recipient) = $1 AND recipient IS NOT NULL"
            + " AND ($2::bigint IS NULL OR id < $2)" + OF_SENDER + " ORDER BY id DESC LIMIT $3";

    private final Statements statements;

    public EventQueries(ConnectionFactory pool) {
        this.statements = new Statements(pool, "event queries");
    }

    /** Interval of a statistics bucket. */
    public enum Interval {
        MINUTE, HOUR, DAY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code t} rounded down to the start of its bucket (UTC). */
        public Instant truncate(Instant t) {
            return t.truncatedTo(switch (this) {
                case MINUTE -> ChronoUnit.MINUTES;
                case HOUR -> ChronoUnit.HOURS;
                case DAY -> ChronoUnit.DAYS;
            });
        }
    }

    /** The count of one event kind for one sender in one bucket; {@code sender} is empty without an AUTH user. */
    public record Count(String sender, Instant bucket, int kind, long n) {}

    /** One event of a history. */
    public record HistoryEvent(long id, Instant at, @Nullable UUID messageId, int kind, @Nullable String recipient,
            @Nullable Integer attempt, @Nullable String remoteHost, @Nullable String reply, @Nullable String site,
            @Nullable String actor, @Nullable String category, @Nullable String bounceClass) {
        /** Without a classification (every kind but bounced, deferred and expired, and rows before V9). */
        public HistoryEvent(long id, Instant at, @Nullable UUID messageId, int kind, @Nullable String recipient,
                @Nullable Integer attempt, @Nullable String remoteHost, @Nullable String reply, @Nullable String site,
                @Nullable String actor) {
            this(id, at, messageId, kind, recipient, attempt, remoteHost, reply, site, actor, null, null);
        }
    }

    /**
     * Counts in the buckets from the one holding {@code since} to before {@code until}, for one sender or (null)
     * every sender, sorted by sender, bucket, kind.
     */
    public Flux<Count> counts(@Nullable String sender, Instant since, Instant until, Interval by) {
        Instant from = by.truncate(since);
        return statements.many(c -> {
            if (by == Interval.MINUTE) {
                Statement s = c.createStatement(STATS_BY_MINUTE).bind(0, from).bind(1, until);
                return Statements.bindNullable(s, 2, sender, String.class);
            }
            Statement s = c.createStatement(STATS).bind(0, by.label()).bind(1, from).bind(2, until);
            return Statements.bindNullable(s, 3, sender, String.class);
        }, row -> new Count(req(row.get("sender", String.class)),
                req(row.get("bucket", OffsetDateTime.class)).toInstant(), req(row.get("kind", Short.class)),
                req(row.get("n", Long.class))));
    }

    /** Events of one message, newest first, those before the event {@code before} (null: from the newest). */
    public Flux<HistoryEvent> ofMessage(MessageId id, @Nullable Long before, int limit) {
        return page(BY_MESSAGE, id.uuid(), before, limit);
    }

    /**
     * Events of the message(s) accepted with the client Message-ID {@code messageId} (with or without angle
     * brackets, normalised like the stored value), newest first; none for an empty value.
     */
    public Flux<HistoryEvent> ofClientMessageId(String messageId, @Nullable Long before, int limit) {
        String key = ClientMessageId.normalise(messageId);
        return key == null ? Flux.empty() : page(BY_CLIENT_MESSAGE_ID, key, before, limit);
    }

    /** Events of one recipient address across its messages (case-insensitive), newest first. */
    public Flux<HistoryEvent> ofRecipient(String address, @Nullable Long before, int limit) {
        return page(BY_RECIPIENT, address.toLowerCase(Locale.ROOT), before, limit);
    }

    /** {@link #ofMessage}, only if {@code sender} sent the message (none otherwise). */
    public Flux<HistoryEvent> ofMessage(MessageId id, @Nullable Long before, int limit, String sender) {
        return page(BY_MESSAGE_OF, id.uuid(), before, limit, sender);
    }

    /** {@link #ofClientMessageId}, only the messages {@code sender} sent. */
    public Flux<HistoryEvent> ofClientMessageId(String messageId, @Nullable Long before, int limit, String sender) {
        String key = ClientMessageId.normalise(messageId);
        return key == null ? Flux.empty() : page(BY_CLIENT_MESSAGE_ID_OF, key, before, limit, sender);
    }

    /** {@link #ofRecipient}, only the events of messages {@code sender} sent. */
    public Flux<HistoryEvent> ofRecipient(String address, @Nullable Long before, int limit, String sender) {
        return page(BY_RECIPIENT_OF, address.toLowerCase(Locale.ROOT), before, limit, sender);
    }

    private Flux<HistoryEvent> page(String sql, Object key, @Nullable Long before, int limit) {
        return page(sql, key, before, limit, null);
    }

    private Flux<HistoryEvent> page(String sql, Object key, @Nullable Long before, int limit,
                                    @Nullable String sender) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1..1000, was " + limit);
        }
        return statements.many(c -> {
            Statement s = c.createStatement(sql).bind(0, key);
            Statements.bindNullable(s, 1, before, Long.class);
            s.bind(2, limit);
            return sender == null ? s : s.bind(3, sender);
        }, EventQueries::event);
    }

    private static HistoryEvent event(Row row) {
        return new HistoryEvent(req(row.get("id", Long.class)), req(row.get("at", OffsetDateTime.class)).toInstant(),
                row.get("message_id", UUID.class), req(row.get("kind", Short.class)),
                row.get("recipient", String.class), row.get("attempt", Integer.class),
                row.get("remote_host", String.class), row.get("reply", String.class), row.get("site", String.class),
                row.get("actor", String.class), row.get("category", String.class),
                row.get("bounce_class", String.class));
    }

    private static <T> T req(@Nullable T value) {
        return Objects.requireNonNull(value, "unexpected NULL column");
    }
}
