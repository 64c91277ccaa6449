package dev.relay.storage;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@link DeliveryStore} on PostgreSQL (schema V2): claims, content reads and the batched write-back. Claims are one {@code UPDATE} over rows picked with
 * {@code FOR UPDATE SKIP LOCKED}, so concurrent claimers (threads or nodes) never get the same recipient and never
 * wait for each other. {@link #record} batches concurrent callers naturally (see {@link NaturalBatcher} and
 * {@link RecordSql}). Every database failure surfaces as {@link SpoolUnavailableException}; results arrive on the
 * driver's I/O thread. Node heartbeats, liveness and the release of a node's claims are {@link PgNodes}'s.
 */
public final class PgDeliveryStore implements DeliveryStore, AutoCloseable {
    private static final String CLAIM = claimSql();
    private static final String UNCLAIM = "UPDATE recipient SET state = 0, claimed_by = NULL, site = $4"
            + " WHERE message_id = $1 AND idx = ANY($2::smallint[]) AND state = 1 AND claimed_by = $3";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PgDeliveryStore.class);

    private final Statements statements;
    private final PgNodes nodes;
    private final NaturalBatcher<PendingRecord> committer;

    public PgDeliveryStore(ConnectionFactory pool, DeliveryStoreSettings settings, RecordObserver observer) {
        this.statements = new Statements(pool, "delivery store");
        this.nodes = new PgNodes(statements);
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(observer, "observer");
        this.committer = new NaturalBatcher<>(settings.committers(), settings.maxBatch(), settings.queueCapacity(),
                new NaturalBatcher.Texts("record", "delivery store closed", "record queue full", "record failed: "),
                batch -> Database.withConnection(pool, c -> RecordSql.write(c, ownedOf(batch)))
                        .doOnNext(written -> fenced(batch, written, observer)),
                new NaturalBatcher.Observer<>() {
                    @Override
                    public void written(List<PendingRecord> batch, long nanos) {
                        observer.batchRecorded(batch.size(), updatesOf(batch).size(), nanos);
                    }

                    @Override
                    public void failed(List<PendingRecord> batch, Throwable cause) {
                        observer.batchFailed(batch.size(), updatesOf(batch).size(), cause);
                    }
                }, new NaturalBatcher.Pace(settings.minInterval(), Schedulers.parallel()));
    }

    /** Whole calls in one batch, in their order. */
    private static List<RecipientUpdate> updatesOf(List<PendingRecord> batch) {
        List<RecipientUpdate> all = new java.util.ArrayList<>();
        for (PendingRecord p : batch) {
            all.addAll(p.updates());
        }
        return all;
    }

    private static List<RecordSql.Owned> ownedOf(List<PendingRecord> batch) {
        List<RecordSql.Owned> all = new ArrayList<>();
        for (PendingRecord p : batch) {
            for (RecipientUpdate u : p.updates()) {
                all.add(new RecordSql.Owned(u, p.node()));
            }
        }
        return all;
    }

    /** Fenced updates are expected after a takeover, and tell an operator that a node lost its claims. */
    private static void fenced(List<PendingRecord> batch, RecordSql.Written written, RecordObserver observer) {
        long fenced = 0;
        for (PendingRecord p : batch) {
            if (p.node() != null) {
                fenced = written.fenced();
                break;
            }
        }
        if (fenced > 0) {
            log.warn("{} of {} write-backs (first {}) changed nothing: the recipients are no longer in flight for"
                    + " this node (claims taken over) or gone", fenced, written.updates(), batch.get(0).describe());
            observer.fenced(fenced);
        }
    }

    public PgDeliveryStore(ConnectionFactory pool) {
        this(pool, DeliveryStoreSettings.DEFAULT, RecordObserver.NONE);
    }

    /**
     * Picks due queued rows in lane order from the (priority, next_attempt_at) partial index, skipping rows another
     * claimer has locked, and marks them in flight in the same statement.
     */
    private static String claimSql() {
        return "WITH due AS (SELECT message_id, idx FROM recipient WHERE state = 0 AND next_attempt_at <= now()"
                // sites holding their share of the window are passed over; never-routed rows (null site) are not
                + " AND (site IS NULL OR NOT (site = ANY($3::text[])))"
                + " ORDER BY priority, next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
                + " c AS (UPDATE recipient r SET state = 1, claimed_by = $1 FROM due"
                + " WHERE r.message_id = due.message_id AND r.idx = due.idx"
                + " RETURNING r.message_id, r.idx, r.address, r.domain, r.attempts, r.priority, r.next_attempt_at)"
                + " SELECT c.message_id, c.idx, c.address, c.domain, c.attempts, c.priority, m.reverse_path,"
                + " m.received_at, m.size, m.body_8bit, m.smtputf8, m.account"
                + " FROM c JOIN message m ON m.id = c.message_id"
                // a message's recipients contiguous, in idx order; messages by lane, then earliest due
                + " ORDER BY c.priority, min(c.next_attempt_at) OVER (PARTITION BY c.message_id), c.message_id, c.idx";
    }

    @Override
    public Mono<Long> releaseClaims(String node) {
        return nodes.releaseClaims(node);
    }

    @Override
    public Mono<Heartbeat> heartbeat(String node, Duration staleAfter) {
        return nodes.heartbeat(node, staleAfter);
    }

    @Override
    public Mono<NodeBeat> lastBeat(String node) {
        return nodes.lastBeat(node);
    }

    @Override
    public Mono<Void> leave(String node) {
        return nodes.leave(node);
    }

    @Override
    public Mono<Long> releaseMessage(String node, MessageId id) {
        return nodes.releaseMessage(node, id);
    }

    @Override
    public Flux<ClaimedMessage> claimDue(String node, int limit, java.util.Set<String> skipSites) {
        requireNode(node);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        String[] skip = skipSites.toArray(new String[0]);
        return statements.many(c -> c.createStatement(CLAIM).bind(0, node).bind(1, limit).bind(2, skip),
                        ClaimRow::of)
                .bufferUntilChanged(ClaimRow::messageId)
                .map(PgDeliveryStore::toMessage);
    }

    @Override
    public Mono<Long> unclaim(String node, MessageId message, List<Integer> indexes, String site) {
        requireNode(node);
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(site, "site");
        Short[] idx = indexes.stream().map(Integer::shortValue).toArray(Short[]::new);
        return statements.update(c -> c.createStatement(UNCLAIM).bind(0, message.uuid()).bind(1, idx).bind(2, node)
                .bind(3, site));
    }

    @Override
    public Mono<byte[]> content(MessageId id) {
        Objects.requireNonNull(id, "id");
        return statements.one(c -> c.createStatement("SELECT content FROM message WHERE id = $1").bind(0, id.uuid()),
                row -> Statements.bytes(Objects.requireNonNull(row.get(0, ByteBuffer.class))));
    }

    @Override
    public Flux<StoredContent> contents(List<MessageId> ids) {
        if (ids.isEmpty()) {
            return Flux.empty();
        }
        UUID[] uuids = ids.stream().map(MessageId::uuid).toArray(UUID[]::new);
        return statements.many(c -> c.createStatement("SELECT id, content FROM message WHERE id = ANY($1)")
                        .bind(0, uuids),
                row -> new StoredContent(new MessageId(Objects.requireNonNull(row.get(0, UUID.class))),
                        Statements.bytes(Objects.requireNonNull(row.get(1, ByteBuffer.class)))));
    }

    @Override
    public Mono<Void> record(List<RecipientUpdate> updates) {
        return enqueue(null, updates);
    }

    @Override
    public Mono<Void> record(String node, List<RecipientUpdate> updates) {
        requireNode(node);
        return enqueue(node, updates);
    }

    private Mono<Void> enqueue(@org.jspecify.annotations.Nullable String node, List<RecipientUpdate> updates) {
        List<RecipientUpdate> copy = List.copyOf(updates);
        return copy.isEmpty() ? Mono.empty() : Mono.create(sink -> {
            PendingRecord pending = new PendingRecord(copy, node, sink);
            committer.offer(pending, () -> sink.onCancel(pending::cancel));
        });
    }

    /** Recipients not yet final of one site (null: never routed) and priority, and their oldest message. */
    public record Depth(@org.jspecify.annotations.Nullable String site, Priority priority, long recipients,
                        Instant oldestReceivedAt) {
        public Depth {
            Objects.requireNonNull(priority, "priority");
            Objects.requireNonNull(oldestReceivedAt, "oldestReceivedAt");
        }
    }

    /**
     * The queue by site (as last written back; null for recipients never routed) and priority, all nodes: one
     * grouped scan, for the metrics' periodic refresh.
     */
    public Flux<Depth> depth() {
        return statements.many(c -> c.createStatement("SELECT r.site, r.priority, count(*) AS n,"
                        + " min(m.received_at) AS oldest"
                        + " FROM recipient r JOIN message m ON m.id = r.message_id GROUP BY 1, 2"),
                row -> new Depth(row.get("site", String.class),
                        Priority.fromCode(Objects.requireNonNull(row.get("priority", Short.class))),
                        Objects.requireNonNull(row.get("n", Long.class)),
                        Objects.requireNonNull(row.get("oldest", OffsetDateTime.class)).toInstant()));
    }

    @Override
    public Mono<Integer> liveNodes(Duration staleAfter) {
        return nodes.liveNodes(staleAfter);
    }

    /** Fails record calls still queued; batches already committing finish. */
    @Override
    public void close() {
        committer.close();
    }

    private static void requireNode(String node) {
        PgNodes.requireNode(node);
    }

    private static ClaimedMessage toMessage(List<ClaimRow> rows) {
        ClaimRow first = rows.get(0);
        List<ClaimedRecipient> recipients = new ArrayList<>(rows.size());
        for (ClaimRow r : rows) {
            recipients.add(r.recipient());
        }
        return new ClaimedMessage(first.messageId(), first.reversePath(), first.priority(), first.receivedAt(),
                first.size(), first.body8bit(), first.smtputf8(), recipients, first.account());
    }

    /** One row of the claim statement: a recipient with its message's envelope facts. */
    private record ClaimRow(MessageId messageId, ClaimedRecipient recipient, Priority priority, String reversePath,
                            Instant receivedAt, int size, boolean body8bit, boolean smtputf8,
                            @org.jspecify.annotations.Nullable String account) {
        static ClaimRow of(Row row) {
            return new ClaimRow(
                    new MessageId(Objects.requireNonNull(row.get("message_id", UUID.class))),
                    new ClaimedRecipient(Objects.requireNonNull(row.get("idx", Short.class)),
                            Objects.requireNonNull(row.get("address", String.class)),
                            Objects.requireNonNull(row.get("domain", String.class)),
                            Objects.requireNonNull(row.get("attempts", Integer.class))),
                    Priority.fromCode(Objects.requireNonNull(row.get("priority", Short.class))),
                    Objects.requireNonNull(row.get("reverse_path", String.class)),
                    Objects.requireNonNull(row.get("received_at", OffsetDateTime.class)).toInstant(),
                    Objects.requireNonNull(row.get("size", Integer.class)),
                    Objects.requireNonNull(row.get("body_8bit", Boolean.class)),
                    Objects.requireNonNull(row.get("smtputf8", Boolean.class)),
                    row.get("account", String.class));
        }
    }
}
