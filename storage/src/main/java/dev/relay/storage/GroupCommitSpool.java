package dev.relay.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link Spool} with natural group commit: stores go into a bounded queue; up to
 * {@code committers} workers each take everything queued (up to {@code maxBatch}) and write it in
 * one transaction, then complete every member. Arrivals during a commit form the next batch; there
 * is no timer. Each message gets its {@code accepted} event in the same statement; its recipients are queued
 * (due at once, with the message's priority) or, through {@link #storeClaimed}, in flight for a node. A full queue fails at once; a failed batch fails all its members and the next batch
 * tries again on a fresh connection. Everything runs on R2DBC's reactive calls; completions are
 * signalled on the driver's I/O thread. Cancelling a queued store drops it; cancelling one already
 * in a batch does not stop the commit.
 */
public final class GroupCommitSpool implements Spool, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitSpool.class);
    private static final String INSERT_MESSAGE = "INSERT INTO message(id, reverse_path, account, priority,"
            + " received_at, size, body_8bit, smtputf8, client_address, helo, content)";
    private static final int MESSAGE_COLUMNS = 11;
    /**
     * The accepted event of every inserted message, fed by the message INSERT's RETURNING, with its client
     * Message-ID (V10) from two array parameters (ids, Message-IDs) numbered from {@code first}, and its sender
     * (V9's column, '' without AUTH as the write-back writes it; from V12, what a system's history is scoped by).
     */
    private static String acceptedEvents(int first) {
        return "INSERT INTO event(message_id, kind, client_message_id, sender) SELECT m.id, "
                + EventKind.ACCEPTED.code() + ", c.mid, coalesce(m.account, '') FROM m"
                + " LEFT JOIN unnest($" + first + "::uuid[], $" + (first + 1) + "::text[]) AS c(id, mid)"
                + " ON c.id = m.id RETURNING id, at, message_id, kind";
    }
    /** Their webhook outbox rows, in the same statement (reads {@code e}). */
    private static final String ACCEPTED_OUTBOX = WebhookOutbox.insert("SELECT e.id AS event_id, e.at AS event_at,"
            + " e.kind, coalesce(m.account, '') AS sender FROM e JOIN m ON m.id = e.message_id");
    /** Their rollup counts, in the same statement. */
    private static final String ACCEPTED_ROLLUP = Rollups.ctes("r", "SELECT coalesce(account, '') AS sender, "
            + EventKind.ACCEPTED.code() + "::smallint AS kind FROM m");
    private static final String INSERT_RECIPIENT = "INSERT INTO recipient(message_id, idx, address, domain,"
            + " next_attempt_at, priority, state, claimed_by)";
    private static final int RECIPIENT_COLUMNS = 8;
    /** PostgreSQL allows 65535 parameters per statement. */
    private static final int MAX_RECIPIENT_ROWS = 65_535 / RECIPIENT_COLUMNS;

    private final ConnectionFactory pool;
    private final NaturalBatcher<PendingStore> batcher;

    public GroupCommitSpool(ConnectionFactory pool, GroupCommitSettings settings, SpoolObserver observer) {
        this.pool = Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(observer, "observer");
        this.batcher = new NaturalBatcher<>(settings.committers(), settings.maxBatch(), settings.queueCapacity(),
                new NaturalBatcher.Texts("spool", "spool closed", "spool queue full", "spool write failed: "),
                this::write, new NaturalBatcher.Observer<>() {
                    @Override
                    public void written(List<PendingStore> batch, long nanos) {
                        log.debug("committed batch of {} in {} us", batch.size(), nanos / 1000);
                        observer.batchCommitted(batch.size(), nanos);
                    }

                    @Override
                    public void failed(List<PendingStore> batch, Throwable cause) {
                        observer.batchFailed(batch.size(), cause);
                    }
                }, new NaturalBatcher.Pace(settings.interval(), Schedulers.parallel(), true));
    }

    @Override
    public Mono<Void> store(IncomingMessage message) {
        return enqueue(message, null);
    }

    @Override
    public Mono<Void> storeClaimed(IncomingMessage message, String node) {
        Objects.requireNonNull(node, "node");
        if (node.isEmpty() || node.indexOf('\0') >= 0) {
            // checked here: one bad value would fail the whole batch
            throw new IllegalArgumentException("node must be non-empty without NUL characters");
        }
        return enqueue(message, node);
    }

    private Mono<Void> enqueue(IncomingMessage message, @Nullable String claimedBy) {
        Objects.requireNonNull(message, "message");
        AtomicBoolean subscribed = new AtomicBoolean();
        return Mono.create(sink -> {
            if (subscribed.getAndSet(true)) {
                sink.error(new IllegalStateException("store(" + message.id() + ") subscribed twice"));
                return;
            }
            if (message.content().refCnt() == 0) {
                sink.error(new IllegalStateException(message.id() + " content already released"));
                return;
            }
            PendingStore pending = new PendingStore(message, claimedBy, sink);
            batcher.offer(pending, () -> sink.onCancel(pending::cancel));
        });
    }

    /** Stores waiting for a committer (not counting batches being committed). */
    public int queueDepth() {
        return batcher.queued();
    }

    /** One batch: a single statement when it fits the parameter limit, else a transaction of several. */
    private Mono<Integer> write(List<PendingStore> batch) {
        return Database.withConnection(pool, c -> fitsOneStatement(batch)
                        ? insertInOneStatement(c, batch).thenReturn(batch.size())
                        : Database.inTransaction(c, tx -> insert(tx, batch).thenReturn(batch.size())))
                // a supplier: the exception (and its stack trace) is made only when it happens, not once per batch
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("batch completed without a result")));
    }

    private static int recipientRows(List<PendingStore> batch) {
        int rows = 0;
        for (PendingStore pending : batch) {
            rows += pending.message().recipients().size();
        }
        return rows;
    }

    /** PostgreSQL takes at most 65535 parameters per statement. */
    private static boolean fitsOneStatement(List<PendingStore> batch) {
        return batch.size() * MESSAGE_COLUMNS + recipientRows(batch) * RECIPIENT_COLUMNS + 2 <= 65_535;
    }

    /**
     * The whole batch as ONE autocommitted statement: the messages in a data-modifying CTE, the recipients in the
     * main INSERT. It commits atomically like a transaction, but without the BEGIN and COMMIT round trips, which
     * on loopback cost more than the insert itself. (The recipients' foreign key is checked at the end of the
     * statement, when the CTE's rows exist.)
     */
    private static Mono<Void> insertInOneStatement(Connection c, List<PendingStore> batch) {
        int recipientRows = recipientRows(batch);
        int ids = batch.size() * MESSAGE_COLUMNS + recipientRows * RECIPIENT_COLUMNS + 1;
        String sql = "WITH m AS (" + valuesSql(INSERT_MESSAGE, MESSAGE_COLUMNS, batch.size()) + " RETURNING id, account),"
                + " e AS (" + acceptedEvents(ids) + "), o AS (" + ACCEPTED_OUTBOX + "), " + ACCEPTED_ROLLUP + " "
                + valuesSql(INSERT_RECIPIENT, RECIPIENT_COLUMNS, recipientRows, batch.size() * MESSAGE_COLUMNS + 1);
        Statement statement = c.createStatement(sql);
        int p = 0;
        for (PendingStore pending : batch) {
            p = bindMessage(statement, p, pending.message());
        }
        for (PendingStore pending : batch) {
            List<String> rcpts = pending.message().recipients();
            for (int i = 0; i < rcpts.size(); i++) {
                p = bindRecipient(statement, p, pending, i);
            }
        }
        bindMessageIds(statement, p, batch);
        return rowsUpdated(statement);
    }

    /** Recipients start queued and due at once, or in flight for the node that stores them claimed. */
    private static int bindRecipient(Statement s, int p, PendingStore pending, int index) {
        IncomingMessage m = pending.message();
        String address = m.recipients().get(index);
        String node = pending.claimedBy();
        s.bind(p, m.id().uuid()).bind(p + 1, (short) index).bind(p + 2, address)
                .bind(p + 3, IncomingMessage.domainOf(address)).bind(p + 4, m.receivedAt())
                .bind(p + 5, m.priority().code()).bind(p + 6, node == null ? (short) 0 : (short) 1);
        Statements.bindNullable(s, p + 7, node, String.class);
        return p + RECIPIENT_COLUMNS;
    }

    /** Two multi-row INSERTs per batch in a transaction (recipients chunked under the parameter limit). */
    private static Mono<Void> insert(Connection c, List<PendingStore> batch) {
        Statement messages = c.createStatement("WITH m AS ("
                + valuesSql(INSERT_MESSAGE, MESSAGE_COLUMNS, batch.size()) + " RETURNING id, account), e AS ("
                + acceptedEvents(batch.size() * MESSAGE_COLUMNS + 1) + "), o AS (" + ACCEPTED_OUTBOX + "), "
                + ACCEPTED_ROLLUP + " SELECT count(*) FROM m");
        int p = 0;
        for (PendingStore pending : batch) {
            p = bindMessage(messages, p, pending.message());
        }
        bindMessageIds(messages, p, batch);
        Mono<Void> work = rowsUpdated(messages);
        List<Object[]> rows = new ArrayList<>(); // (pending, recipient index)
        for (PendingStore pending : batch) {
            for (int i = 0; i < pending.message().recipients().size(); i++) {
                rows.add(new Object[] {pending, i});
            }
        }
        for (int from = 0; from < rows.size(); from += MAX_RECIPIENT_ROWS) {
            List<Object[]> chunk = rows.subList(from, Math.min(rows.size(), from + MAX_RECIPIENT_ROWS));
            Statement s = c.createStatement(valuesSql(INSERT_RECIPIENT, RECIPIENT_COLUMNS, chunk.size()));
            int q = 0;
            for (Object[] row : chunk) {
                q = bindRecipient(s, q, (PendingStore) row[0], (Integer) row[1]);
            }
            work = work.then(rowsUpdated(s));
        }
        return work;
    }

    static String valuesSql(String insert, int columns, int rows) {
        return valuesSql(insert, columns, rows, 1);
    }

    static String valuesSql(String insert, int columns, int rows, int firstParameter) {
        StringBuilder sql = new StringBuilder(insert.length() + rows * columns * 6).append(insert).append(" VALUES ");
        int n = firstParameter;
        for (int r = 0; r < rows; r++) {
            sql.append(r == 0 ? "(" : ", (");
            for (int col = 0; col < columns; col++) {
                sql.append(col == 0 ? "$" : ", $").append(n++);
            }
            sql.append(')');
        }
        return sql.toString();
    }

    private static int bindMessage(Statement s, int p, IncomingMessage m) {
        s.bind(p, m.id().uuid()).bind(p + 1, m.reversePath());
        Statements.bindNullable(s, p + 2, m.account(), String.class);
        s.bind(p + 3, m.priority().code()).bind(p + 4, m.receivedAt()).bind(p + 5, m.size())
                .bind(p + 6, m.body8bit()).bind(p + 7, m.smtputf8())
                .bind(p + 8, m.clientAddress()).bind(p + 9, m.helo())
                .bind(p + 10, new BinaryContent(m.content()));
        return p + MESSAGE_COLUMNS;
    }

    /** The two arrays of {@link #acceptedEvents}: each message's id and client Message-ID (null: none). */
    private static void bindMessageIds(Statement s, int p, List<PendingStore> batch) {
        java.util.UUID[] ids = new java.util.UUID[batch.size()];
        String[] messageIds = new String[batch.size()];
        for (int i = 0; i < ids.length; i++) {
            IncomingMessage m = batch.get(i).message();
            ids[i] = m.id().uuid();
            messageIds[i] = m.clientMessageId();
        }
        s.bind(p, ids).bind(p + 1, messageIds);
    }

    private static Mono<Void> rowsUpdated(Statement s) {
        return Statements.rowsUpdated(s).then();
    }

    /** Rejects new stores and fails the queued ones; batches already committing finish. */
    @Override
    public void close() {
        batcher.close();
    }
}
