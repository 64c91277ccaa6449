package dev.relay.storage;

import dev.relay.storage.testing.Released;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.CuttableProxy;
import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class GroupCommitSpoolIT {
    private static TestDatabase db;
    private static ConnectionPool pool;
    private static SpoolReader reader;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("spool");
        db.migrate().block(Duration.ofSeconds(60));
        pool = db.pool(4);
        reader = new SpoolReader(pool);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        Database.withConnection(pool, c -> Database.execute(c, "DELETE FROM message")).block(Duration.ofSeconds(30));
    }

    static final class Batches implements SpoolObserver {
        final List<Integer> committed = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger failed = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void batchCommitted(int messages, long nanos) {
            committed.add(messages);
            this.nanos.addAndGet(nanos);
        }

        @Override
        public void batchFailed(int messages, Throwable cause) {
            failed.addAndGet(messages);
        }
    }

    static IncomingMessage message(ByteBuf content, String... recipients) {
        return new IncomingMessage(MessageId.newId(), "sender@example.org", List.of(recipients), null,
                Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), false, false,
                "192.0.2.1", "client.example", content);
    }

    static byte[] body(int i) {
        byte[] b = new byte[200 + ThreadLocalRandom.current().nextInt(4000)];
        ThreadLocalRandom.current().nextBytes(b);
        byte[] tag = ("message " + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(tag, 0, b, 0, tag.length);
        return b;
    }

    @Test
    void storesConcurrentMessagesInGroupCommits() {
        storesConcurrently(GroupCommitSpool.STATEMENT_BYTES);
    }

    /** Every batch of more than one message over the content limit: a transaction of several statements. */
    @Test
    void storesBatchesOverTheStatementLimitAsSeveralStatements() {
        storesConcurrently(1);
    }

    private void storesConcurrently(long statementBytes) {
        Batches observer = new Batches();
        int n = Integer.getInteger("spool.it.messages", 2000);
        Map<MessageId, byte[]> expected = new ConcurrentHashMap<>();
        List<ByteBuf> buffers = Collections.synchronizedList(new ArrayList<>());
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, observer,
                statementBytes)) {
            Flux<Void> stores = Flux.range(0, n).flatMap(i -> {
                byte[] bytes = body(i);
                ByteBuf content;
                if (i % 2 == 0) {
                    CompositeByteBuf composite = Unpooled.compositeBuffer();
                    composite.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, 100));
                    composite.addComponent(true, Unpooled.copiedBuffer(bytes, 100, bytes.length - 100));
                    content = composite;
                } else {
                    content = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
                }
                buffers.add(content);
                IncomingMessage m = message(content, "a" + i + "@Example.COM", "b" + i + "@other.example");
                expected.put(m.id(), bytes);
                return spool.store(m).subscribeOn(Schedulers.boundedElastic());
            }, 50);
            long t0 = System.nanoTime();
            StepVerifier.create(stores).expectComplete().verify(Duration.ofSeconds(60));
            org.slf4j.LoggerFactory.getLogger(GroupCommitSpoolIT.class).info(
                    "stored {} in {} ms: {} batches, mean size {}, mean commit {} ms",
                    n, (System.nanoTime() - t0) / 1_000_000, observer.committed.size(),
                    n / Math.max(1, observer.committed.size()),
                    observer.nanos.get() / 1_000_000 / Math.max(1, observer.committed.size()));
        }

        assertThat(buffers).hasSize(n);
        Released.await(buffers);
        assertThat(observer.committed.stream().mapToInt(Integer::intValue).sum()).isEqualTo(n);
        assertThat(observer.committed).anySatisfy(size -> assertThat(size).isGreaterThan(1));
        assertThat(observer.committed).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(100));

        Map<MessageId, StoredMessage> stored = reader.all().collectMap(StoredMessage::id, Function.identity())
                .block(Duration.ofSeconds(60));
        assertThat(stored).hasSize(n);
        for (Map.Entry<MessageId, byte[]> e : expected.entrySet()) {
            StoredMessage s = stored.get(e.getKey());
            assertThat(s.content()).isEqualTo(e.getValue());
            assertThat(s.size()).isEqualTo(e.getValue().length);
            assertThat(s.recipients()).hasSize(2);
        }
        List<String> domains = Database.withConnection(pool, c -> Flux.from(c.createStatement(
                "SELECT DISTINCT domain FROM recipient ORDER BY 1").execute())
                .flatMap(r -> r.map((row, m) -> row.get(0, String.class))).collectList()).block(Duration.ofSeconds(30));
        assertThat(domains).containsExactly("example.com", "other.example");
        // each message's accepted event, written in the same statement as the message (earlier tests' events stay)
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event e JOIN message m ON m.id = e.message_id"
                + " WHERE e.kind = " + EventKind.ACCEPTED.code())).containsExactly(String.valueOf(n));
    }

    @Test
    void roundTripsEveryField() {
        ByteBuf content = Unpooled.copiedBuffer("Subject: hi\r\n\r\nbody\r\n", StandardCharsets.US_ASCII);
        IncomingMessage m = new IncomingMessage(MessageId.newId(), "", List.of("z@B.example", "y@a.example"),
                "acct-1", Priority.BULK, Instant.parse("2026-01-02T03:04:05.123456Z"), true, true,
                "2001:db8::1", "helo.example", content);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            StepVerifier.create(spool.store(m)).verifyComplete();
        }
        Released.await(content);
        StepVerifier.create(reader.find(m.id())).assertNext(s -> {
            assertThat(s.reversePath()).isEmpty();
            assertThat(s.recipients()).containsExactly("z@B.example", "y@a.example");
            assertThat(s.account()).isEqualTo("acct-1");
            assertThat(s.priority()).isEqualTo(Priority.BULK);
            assertThat(s.receivedAt()).isEqualTo(m.receivedAt());
            assertThat(s.body8bit()).isTrue();
            assertThat(s.smtputf8()).isTrue();
            assertThat(s.clientAddress()).isEqualTo("2001:db8::1");
            assertThat(s.helo()).isEqualTo("helo.example");
            assertThat(new String(s.content(), StandardCharsets.US_ASCII)).isEqualTo("Subject: hi\r\n\r\nbody\r\n");
        }).verifyComplete();
        StepVerifier.create(reader.countMessages()).expectNext(1L).verifyComplete();
    }

    /**
     * V14: content up to about 8 kB is written in the message's row, not as TOAST chunks (a row and an index entry
     * per 2 kB, written, read and vacuumed per message); larger content still goes out of line. Both read back whole.
     */
    @Test
    void contentUpToEightKilobytesStaysInItsRowLargerGoesOutOfLine() {
        String toast = TestSql.rows(pool, "SELECT reltoastrelid::regclass::text FROM pg_class"
                + " WHERE oid = 'message'::regclass").get(0);
        byte[] small = new byte[6000];
        byte[] large = new byte[100_000];
        ThreadLocalRandom.current().nextBytes(small);
        ThreadLocalRandom.current().nextBytes(large);
        IncomingMessage inline = message(Unpooled.wrappedBuffer(small), "a@example.com");
        IncomingMessage outOfLine = message(Unpooled.wrappedBuffer(large), "b@example.com");
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            StepVerifier.create(spool.store(inline)).verifyComplete();
            assertThat(TestSql.rows(pool, "SELECT count(*) FROM " + toast)).containsExactly("0");
            StepVerifier.create(spool.store(outOfLine)).verifyComplete();
        }
        assertThat(Integer.parseInt(TestSql.rows(pool, "SELECT count(*) FROM " + toast).get(0))).isGreaterThan(1);
        StepVerifier.create(reader.find(inline.id())).assertNext(m -> assertThat(m.content()).isEqualTo(small))
                .verifyComplete();
        StepVerifier.create(reader.find(outOfLine.id())).assertNext(m -> assertThat(m.content()).isEqualTo(large))
                .verifyComplete();
    }

    /**
     * The client Message-ID reaches the accepted event, and a message of 9000 recipients is stored whole: with a
     * parameter per column rather than per value, PostgreSQL's limit of 65535 parameters no longer splits a batch.
     */
    @Test
    void theClientMessageIdIsStoredWithTheAcceptedEventAndManyRecipientsFitOneStatement() {
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 9000; i++) {
            many.add("r" + i + "@x.example");
        }
        IncomingMessage small = withMessageId("<small@client.example>", List.of("a@x.example"));
        IncomingMessage large = withMessageId("<large@client.example>", many);
        IncomingMessage none = withMessageId(null, List.of("b@x.example"));
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            StepVerifier.create(spool.store(small)).verifyComplete();
            StepVerifier.create(spool.store(large)).verifyComplete();
            StepVerifier.create(spool.store(none)).verifyComplete();
        }
        assertThat(TestSql.rows(pool, "SELECT message_id::text || '|' || coalesce(client_message_id, '-') FROM event"
                + " WHERE kind = " + EventKind.ACCEPTED.code() + " AND message_id IN ('" + small.id().uuid() + "', '"
                + large.id().uuid() + "', '" + none.id().uuid() + "')")).containsExactlyInAnyOrder(
                small.id().uuid() + "|small@client.example", large.id().uuid() + "|large@client.example",
                none.id().uuid() + "|-");
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM recipient WHERE message_id = '" + large.id().uuid()
                + "'")).containsExactly("9000");
    }

    private static IncomingMessage withMessageId(@Nullable String messageId, List<String> recipients) {
        return new IncomingMessage(MessageId.newId(), "sender@example.org", recipients, null, Priority.TRANSACTIONAL,
                Instant.now().truncatedTo(ChronoUnit.MICROS), false, false, "192.0.2.1", "client.example",
                Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII), messageId);
    }

    @Test
    void duplicateIdFailsWholeBatchAndReleases() {
        MessageId id = MessageId.newId();
        ByteBuf a = Unpooled.copiedBuffer("a", StandardCharsets.US_ASCII);
        ByteBuf b = Unpooled.copiedBuffer("b", StandardCharsets.US_ASCII);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, new GroupCommitSettings(1, 100, 100), SpoolObserver.NONE)) {
            IncomingMessage first = new IncomingMessage(id, "s@x", List.of("r@x"), null, Priority.BULK, Instant.now(),
                    false, false, "127.0.0.1", "h", a);
            StepVerifier.create(spool.store(first)).verifyComplete();
            IncomingMessage again = new IncomingMessage(id, "s@x", List.of("r@x"), null, Priority.BULK, Instant.now(),
                    false, false, "127.0.0.1", "h", b);
            StepVerifier.create(spool.store(again)).verifyError(SpoolUnavailableException.class);
            // the spool keeps working after a failed batch
            StepVerifier.create(spool.store(message(Unpooled.buffer(1).writeByte(1), "r@x"))).verifyComplete();
        }
        Released.await(a);
        Released.await(b);
        StepVerifier.create(reader.countMessages()).expectNext(2L).verifyComplete();
    }

    @Test
    void queueFullFailsImmediately() {
        ConnectionPool lockPool = db.pool(1);
        io.r2dbc.spi.Connection locker = reactor.core.publisher.Mono.from(lockPool.create()).block(Duration.ofSeconds(10));
        ByteBuf[] bufs = new ByteBuf[5];
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, new GroupCommitSettings(1, 1, 1), SpoolObserver.NONE)) {
            reactor.core.publisher.Mono.from(locker.beginTransaction())
                    .then(Database.execute(locker, "LOCK TABLE message IN EXCLUSIVE MODE")).block(Duration.ofSeconds(10));
            List<reactor.core.publisher.Mono<Void>> accepted = new ArrayList<>();
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = Unpooled.buffer(1).writeByte(i);
                reactor.core.publisher.Mono<Void> store = spool.store(message(bufs[i], "r@x"));
                if (i < 2) {
                    // the first commits (blocked by the lock), the second waits in the queue
                    accepted.add(store.cache());
                    accepted.get(i).subscribe(v -> { }, e -> { });
                } else {
                    StepVerifier.create(store).expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(SpoolUnavailableException.class).hasMessageContaining("queue full"))
                            .verify(Duration.ofSeconds(1));
                }
            }
            reactor.core.publisher.Mono.from(locker.commitTransaction()).block(Duration.ofSeconds(10));
            StepVerifier.create(Flux.merge(accepted)).expectComplete().verify(Duration.ofSeconds(20));
        } finally {
            reactor.core.publisher.Mono.from(locker.close()).block(Duration.ofSeconds(10));
        }
        for (ByteBuf b : bufs) {
            Released.await(b);
        }
        StepVerifier.create(reader.countMessages()).expectNext(2L).verifyComplete();
    }

    @Test
    void cancelledWhileQueuedIsDroppedAndReleased() {
        ConnectionPool lockPool = db.pool(1);
        io.r2dbc.spi.Connection locker = reactor.core.publisher.Mono.from(lockPool.create()).block(Duration.ofSeconds(10));
        ByteBuf first = Unpooled.buffer(1).writeByte(1);
        ByteBuf cancelled = Unpooled.buffer(1).writeByte(2);
        IncomingMessage dropped = message(cancelled, "r@x");
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, new GroupCommitSettings(1, 10, 10), SpoolObserver.NONE)) {
            reactor.core.publisher.Mono.from(locker.beginTransaction())
                    .then(Database.execute(locker, "LOCK TABLE message IN EXCLUSIVE MODE")).block(Duration.ofSeconds(10));
            reactor.core.publisher.Mono<Void> committing = spool.store(message(first, "r@x")).cache();
            committing.subscribe(v -> { }, e -> { });
            reactor.core.Disposable queued = spool.store(dropped).subscribe();
            queued.dispose();
            reactor.core.publisher.Mono.from(locker.commitTransaction()).block(Duration.ofSeconds(10));
            StepVerifier.create(committing).expectComplete().verify(Duration.ofSeconds(20));
            // the next batch drains the cancelled entry
            StepVerifier.create(spool.store(message(Unpooled.buffer(1).writeByte(3), "r@x"))).verifyComplete();
        } finally {
            reactor.core.publisher.Mono.from(locker.close()).block(Duration.ofSeconds(10));
        }
        Released.await(first);
        Released.await(cancelled);
        StepVerifier.create(reader.find(dropped.id())).verifyComplete();
        StepVerifier.create(reader.countMessages()).expectNext(2L).verifyComplete();
    }

    @Test
    void closedSpoolRejectsAndReleases() {
        GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE);
        spool.close();
        ByteBuf b = Unpooled.buffer(1).writeByte(1);
        StepVerifier.create(spool.store(message(b, "r@x"))).verifyError(SpoolUnavailableException.class);
        Released.await(b);
    }

    @Test
    void failsDuringOutageAndRecoversWithoutRestart() throws Exception {
        try (CuttableProxy proxy = CuttableProxy.inFrontOf(db.url())) {
            ConnectionPool viaProxy = Database.pool(proxy.rewrite(db.url()), 3);
            Batches observer = new Batches();
            try (GroupCommitSpool spool = new GroupCommitSpool(viaProxy, GroupCommitSettings.DEFAULT, observer)) {
                StepVerifier.create(spool.store(message(Unpooled.buffer(1).writeByte(1), "r@x"))).verifyComplete();

                proxy.cut();
                List<ByteBuf> lost = new ArrayList<>();
                List<MessageId> lostIds = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    ByteBuf b = Unpooled.buffer(1).writeByte(i);
                    lost.add(b);
                    IncomingMessage m = message(b, "r@x");
                    lostIds.add(m.id());
                    StepVerifier.create(spool.store(m)).expectError(SpoolUnavailableException.class)
                            .verify(Duration.ofSeconds(20));
                }
                Released.await(lost);
                assertThat(observer.failed.get()).isEqualTo(5);
                for (MessageId id : lostIds) {
                    StepVerifier.create(reader.find(id)).verifyComplete();
                }

                proxy.restore();
                StepVerifier.create(spool.store(message(Unpooled.buffer(1).writeByte(9), "r@x")))
                        .expectComplete().verify(Duration.ofSeconds(20));
            } finally {
                viaProxy.dispose();
            }
        }
        StepVerifier.create(reader.countMessages()).expectNext(2L).verifyComplete();
    }
}
