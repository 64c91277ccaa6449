package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link Spool} with natural group commit: stores go into a bounded queue; up to {@code committers} workers each
 * take everything queued (up to {@code maxBatch}) and write it in one transaction ({@link #STORE}), then complete
 * every member. Arrivals during a commit form the next batch; while they keep coming, a worker starts its next commit
 * no sooner than the settings' interval after its last ({@link GroupCommitSettings}). Each message gets its
 * {@code accepted} event in the same statement; its recipients are queued (due at once, with the message's
 * priority) or, through {@link #storeClaimed}, in flight for a node. A full queue fails at once; a failed batch
 * fails all its members and the next batch tries again on a fresh connection. Everything runs on R2DBC's reactive
 * calls; completions are signalled on the driver's I/O thread. Cancelling a queued store drops it; cancelling one
 * already in a batch does not stop the commit.
 */
public final class GroupCommitSpool implements Spool, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitSpool.class);
    /**
     * A batch's messages, their accepted events (with webhook outbox rows and rollup counts) and their recipients,
     * in ONE statement whose parameters are arrays, one per column: its text is the same for every batch, so each
     * connection parses it once and PostgreSQL plans it once. Rows of literal parameters ({@code VALUES ($1, ...),
     * ...}) made a different statement for every batch size: each new size was parsed and planned anew (20-40 ms
     * for a batch of 100 on a busy machine, issue 14) exactly when a stall had grown the queue, lengthening it. The
     * messages are in a data-modifying CTE, the recipients in the main INSERT; their foreign key is checked at the
     * end of the statement, when the CTE's rows exist. Autocommitted alone it commits like a transaction, without
     * the BEGIN and COMMIT round trips, which on loopback cost more than the insert.
     */
    static final String STORE = "WITH m AS (INSERT INTO message(id, reverse_path, account, priority, received_at,"
            + " size, body_8bit, smtputf8, client_address, helo, content) SELECT * FROM unnest($1::uuid[],"
            + " $2::text[], $3::text[], $4::smallint[], $5::timestamptz[], $6::integer[], $7::boolean[],"
            + " $8::boolean[], $9::text[], $10::text[], $11::bytea[]) RETURNING id, account),"
            // the accepted event of every message, with its client Message-ID (V10; null: none) and its sender
            // (V9's column, '' without AUTH as the write-back writes it; from V12, what history is scoped by)
            + " e AS (INSERT INTO event(message_id, kind, client_message_id, sender) SELECT m.id, "
            + EventKind.ACCEPTED.code() + ", c.mid, coalesce(m.account, '') FROM m"
            + " LEFT JOIN unnest($1::uuid[], $12::text[]) AS c(id, mid) ON c.id = m.id"
            + " RETURNING id, at, message_id, kind),"
            + " o AS (" + WebhookOutbox.insert("SELECT e.id AS event_id, e.at AS event_at, e.kind,"
            + " coalesce(m.account, '') AS sender FROM e JOIN m ON m.id = e.message_id") + "), "
            + Rollups.ctes("r", "SELECT coalesce(account, '') AS sender, " + EventKind.ACCEPTED.code()
            + "::smallint AS kind FROM m")
            + " INSERT INTO recipient(message_id, idx, address, domain, next_attempt_at, priority, state, claimed_by)"
            + " SELECT * FROM unnest($13::uuid[], $14::smallint[], $15::text[], $16::text[], $17::timestamptz[],"
            + " $18::smallint[], $19::smallint[], $20::text[])";
    /**
     * Content bytes per statement: a batch with more goes as several statements in one transaction. PostgreSQL
     * refuses a Bind message (and an array) of 1 GB or more, and holds a statement's parameters, the array and the
     * rows it makes in memory at once; 64 MiB keeps that small while batches of ordinary mail stay one statement.
     */
    static final long STATEMENT_BYTES = 64L << 20;

    private final ConnectionFactory pool;
    private final long statementBytes;
    private final NaturalBatcher<PendingStore> batcher;

    public GroupCommitSpool(ConnectionFactory pool, GroupCommitSettings settings, SpoolObserver observer) {
        this(pool, settings, observer, STATEMENT_BYTES);
    }

    /** With another content limit per statement than {@link #STATEMENT_BYTES}: tests of the several-statement path. */
    GroupCommitSpool(ConnectionFactory pool, GroupCommitSettings settings, SpoolObserver observer,
            long statementBytes) {
        this.pool = Objects.requireNonNull(pool, "pool");
        if (statementBytes < 1) {
            throw new IllegalArgumentException("statementBytes must be at least 1, was " + statementBytes);
        }
        this.statementBytes = statementBytes;
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

    /** One batch: a single statement, or a transaction of several when its content passes the statement limit. */
    private Mono<Integer> write(List<PendingStore> batch) {
        List<List<PendingStore>> statements =
                split(batch, pending -> pending.message().content().readableBytes(), statementBytes);
        return Database.withConnection(pool, c -> statements.size() == 1
                        ? store(c, batch).thenReturn(batch.size())
                        : Database.inTransaction(c, tx -> Flux.fromIterable(statements)
                                .concatMap(part -> store(tx, part)).then(Mono.just(batch.size()))))
                // a supplier: the exception (and its stack trace) is made only when it happens, not once per batch
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("batch completed without a result")));
    }

    /** Items in order, cut where the next one would take a part past {@code limit}; an item over it goes alone. */
    static <T> List<List<T>> split(List<T> items, ToLongFunction<T> size, long limit) {
        List<List<T>> parts = new ArrayList<>();
        int from = 0;
        long bytes = 0;
        for (int i = 0; i < items.size(); i++) {
            long next = size.applyAsLong(items.get(i));
            if (i > from && bytes + next > limit) {
                parts.add(items.subList(from, i));
                from = i;
                bytes = 0;
            }
            bytes += next;
        }
        parts.add(items.subList(from, items.size()));
        return parts;
    }

    private static Mono<Void> store(Connection c, List<PendingStore> part) {
        int n = part.size();
        UUID[] ids = new UUID[n];
        String[] reversePaths = new String[n];
        String[] accounts = new String[n];
        Short[] priorities = new Short[n];
        Instant[] received = new Instant[n];
        Integer[] sizes = new Integer[n];
        Boolean[] body8bit = new Boolean[n];
        Boolean[] smtputf8 = new Boolean[n];
        String[] clientAddresses = new String[n];
        String[] helos = new String[n];
        List<ByteBuf> contents = new ArrayList<>(n);
        String[] clientMessageIds = new String[n];
        int recipients = 0;
        for (int i = 0; i < n; i++) {
            IncomingMessage m = part.get(i).message();
            ids[i] = m.id().uuid();
            reversePaths[i] = m.reversePath();
            accounts[i] = m.account();
            priorities[i] = m.priority().code();
            received[i] = m.receivedAt();
            sizes[i] = m.size();
            body8bit[i] = m.body8bit();
            smtputf8[i] = m.smtputf8();
            clientAddresses[i] = m.clientAddress();
            helos[i] = m.helo();
            contents.add(m.content());
            clientMessageIds[i] = m.clientMessageId();
            recipients += m.recipients().size();
        }
        Statement s = c.createStatement(STORE).bind(0, ids).bind(1, reversePaths).bind(2, accounts)
                .bind(3, priorities).bind(4, received).bind(5, sizes).bind(6, body8bit).bind(7, smtputf8)
                .bind(8, clientAddresses).bind(9, helos).bind(10, new BinaryContents(contents))
                .bind(11, clientMessageIds);
        return rowsUpdated(bindRecipients(s, 12, part, recipients));
    }

    /** Recipients start queued and due at once, or in flight for the node that stores them claimed. */
    private static Statement bindRecipients(Statement s, int p, List<PendingStore> part, int rows) {
        UUID[] messages = new UUID[rows];
        Short[] indexes = new Short[rows];
        String[] addresses = new String[rows];
        String[] domains = new String[rows];
        Instant[] due = new Instant[rows];
        Short[] priorities = new Short[rows];
        Short[] states = new Short[rows];
        String[] nodes = new String[rows];
        int r = 0;
        for (PendingStore pending : part) {
            IncomingMessage m = pending.message();
            String node = pending.claimedBy();
            for (int i = 0; i < m.recipients().size(); i++, r++) {
                messages[r] = m.id().uuid();
                indexes[r] = (short) i;
                addresses[r] = m.recipients().get(i);
                domains[r] = IncomingMessage.domainOf(addresses[r]);
                due[r] = m.receivedAt();
                priorities[r] = m.priority().code();
                states[r] = node == null ? (short) 0 : (short) 1;
                nodes[r] = node;
            }
        }
        return s.bind(p, messages).bind(p + 1, indexes).bind(p + 2, addresses).bind(p + 3, domains)
                .bind(p + 4, due).bind(p + 5, priorities).bind(p + 6, states).bind(p + 7, nodes);
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
