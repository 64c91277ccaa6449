package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.RecipientUpdate.Kind;
import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The {@link DeliveryStore} contract on a real PostgreSQL, fed through {@link GroupCommitSpool}. */
class PgDeliveryStoreIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private GroupCommitSpool spool;
    private PgDeliveryStore store;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("delivery");
        db.migrate().block(WAIT);
        pool = db.pool(8);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        sql("DELETE FROM message; DELETE FROM event; DELETE FROM relay_node");
        spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE);
        store = new PgDeliveryStore(pool);
    }

    @AfterEach
    void close() {
        spool.close();
        store.close();
    }

    static void sql(String sql) {
        TestSql.execute(pool, sql);
    }

    static List<String> rows(String sql) {
        return TestSql.rows(pool, sql);
    }

    static IncomingMessage message(Priority priority, Instant receivedAt, String... recipients) {
        return new IncomingMessage(MessageId.newId(), "sender@example.org", List.of(recipients), null, priority,
                receivedAt.truncatedTo(ChronoUnit.MICROS), true, false, "192.0.2.1", "client.example",
                Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII));
    }

    IncomingMessage stored(Priority priority, Instant receivedAt, String... recipients) {
        IncomingMessage m = message(priority, receivedAt, recipients);
        spool.store(m).block(WAIT);
        return m;
    }

    static Instant ago(int minutes) {
        return Instant.now().minus(Duration.ofMinutes(minutes));
    }

    List<ClaimedMessage> claim(String node, int limit) {
        return store.claimDue(node, limit).collectList().block(WAIT);
    }

    static RecipientUpdate update(MessageId id, int index, Kind kind, Instant next) {
        return new RecipientUpdate(id, index, "rcpt" + index, kind, next, "mx.example", "reply " + kind);
    }

    @Test
    void claimsTransactionalFirstThenOldestDueWithinLimitGroupedByMessage() {
        IncomingMessage bulkNewer = stored(Priority.BULK, ago(10), "b1@x.example", "b2@y.example");
        IncomingMessage transactional = stored(Priority.TRANSACTIONAL, ago(1), "t0@A.example", "t1@b.example",
                "t2@c.example");
        IncomingMessage bulkOlder = stored(Priority.BULK, ago(20), "c@z.example");
        stored(Priority.TRANSACTIONAL, Instant.now().plus(Duration.ofHours(1)), "future@x.example");

        List<ClaimedMessage> first = claim("n1", 4);
        assertThat(first).extracting(ClaimedMessage::id).containsExactly(transactional.id(), bulkOlder.id());
        ClaimedMessage t = first.get(0);
        assertThat(t.recipients()).extracting(ClaimedRecipient::index).containsExactly(0, 1, 2);
        assertThat(t.recipients().get(0)).isEqualTo(new ClaimedRecipient(0, "t0@A.example", "a.example", 0));
        assertThat(t.reversePath()).isEqualTo("sender@example.org");
        assertThat(t.priority()).isEqualTo(Priority.TRANSACTIONAL);
        assertThat(t.receivedAt()).isEqualTo(transactional.receivedAt());
        assertThat(t.size()).isEqualTo("Subject: x\r\n\r\nbody\r\n".length());
        assertThat(t.body8bit()).isTrue();
        assertThat(t.smtputf8()).isFalse();

        List<ClaimedMessage> second = claim("n1", 10);
        assertThat(second).extracting(ClaimedMessage::id).containsExactly(bulkNewer.id());
        assertThat(second.get(0).recipients()).extracting(ClaimedRecipient::address)
                .containsExactly("b1@x.example", "b2@y.example");
        assertThat(claim("n1", 10)).isEmpty(); // the future one is not due
        assertThat(rows("SELECT count(*) FROM recipient WHERE state = 1 AND claimed_by = 'n1'")).containsExactly("6");
        List<PgDeliveryStore.Depth> depth = store.depth().collectList().block(WAIT);
        assertThat(depth).extracting(d -> d.site() + "|" + d.priority() + "|" + d.recipients())
                .containsExactlyInAnyOrder("null|TRANSACTIONAL|4", "null|BULK|3"); // 7 not yet final
        assertThat(depth).extracting(PgDeliveryStore.Depth::oldestReceivedAt)
                .contains(bulkOlder.receivedAt())
                .allSatisfy(at -> assertThat(at).isAfterOrEqualTo(bulkOlder.receivedAt()));
    }

    @Test
    void unclaimReturnsRecipientsWithTheirSiteAndAClaimCanPassOverThatSite() {
        IncomingMessage slow = stored(Priority.TRANSACTIONAL, ago(10), "a@slow.example", "b@slow.example",
                "c@other.example");
        IncomingMessage fresh = stored(Priority.TRANSACTIONAL, ago(1), "d@fresh.example");
        List<ClaimedMessage> first = claim("n1", 3);
        assertThat(first).extracting(ClaimedMessage::id).containsExactly(slow.id());

        // another node's name, or a recipient not in flight, changes nothing
        assertThat(store.unclaim("n2", slow.id(), List.of(0, 1), "slow-site").block(WAIT)).isZero();
        assertThat(store.unclaim("n1", slow.id(), List.of(0, 1), "slow-site").block(WAIT)).isEqualTo(2L);
        assertThat(store.unclaim("n1", slow.id(), List.of(0, 1), "slow-site").block(WAIT)).isZero();
        assertThat(rows("SELECT idx || ':' || state || ':' || coalesce(site, '-') || ':' || attempts"
                + " FROM recipient WHERE message_id = '" + slow.id().uuid() + "' ORDER BY idx"))
                .containsExactly("0:0:slow-site:0", "1:0:slow-site:0", "2:1:-:0");
        assertThat(rows("SELECT count(*) FROM event WHERE message_id = '" + slow.id().uuid() + "' AND kind <> "
                + EventKind.ACCEPTED.code())).containsExactly("0");

        // passing over the site: the never-routed newer recipient comes first, the returned ones stay queued
        List<ClaimedMessage> skipping = store.claimDue("n1", 10, java.util.Set.of("slow-site")).collectList()
                .block(WAIT);
        assertThat(skipping).extracting(ClaimedMessage::id).containsExactly(fresh.id());
        List<ClaimedMessage> again = store.claimDue("n1", 10, java.util.Set.of("other-site")).collectList()
                .block(WAIT);
        assertThat(again).extracting(ClaimedMessage::id).containsExactly(slow.id());
        assertThat(again.get(0).recipients()).extracting(ClaimedRecipient::index).containsExactly(0, 1);
    }

    @Test
    void aLimitSplitsAMessageAndTheRestIsClaimedLater() {
        IncomingMessage m = stored(Priority.BULK, ago(1), "a@x.example", "b@x.example", "c@x.example");
        List<ClaimedMessage> first = claim("n1", 2);
        assertThat(first).hasSize(1);
        assertThat(first.get(0).recipients()).hasSize(2);
        List<ClaimedMessage> rest = claim("n2", 2);
        assertThat(rest).extracting(ClaimedMessage::id).containsExactly(m.id());
        Set<Integer> all = new HashSet<>();
        first.get(0).recipients().forEach(r -> all.add(r.index()));
        rest.get(0).recipients().forEach(r -> all.add(r.index()));
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void storedClaimedIsInFlightForItsNodeWithItsAcceptedEvent() {
        IncomingMessage m = message(Priority.TRANSACTIONAL, ago(1), "a@x.example", "b@y.example");
        spool.storeClaimed(m, "n1").block(WAIT);
        assertThat(claim("n2", 10)).isEmpty();
        assertThat(rows("SELECT idx, state, claimed_by, priority FROM recipient ORDER BY idx"))
                .containsExactly("0|1|n1|0", "1|1|n1|0");
        assertThat(rows("SELECT kind, recipient, attempt FROM event"))
                .containsExactly(EventKind.ACCEPTED.code() + "|null|null");

        StepVerifier.create(store.releaseClaims("n2")).expectNext(0L).verifyComplete();
        StepVerifier.create(store.releaseClaims("n1")).expectNext(2L).verifyComplete();
        assertThat(claim("n2", 10)).singleElement().satisfies(c -> assertThat(c.recipients()).hasSize(2));
    }

    @Test
    void heartbeatReleasesClaimsOfStaleNodesOnly() {
        IncomingMessage dead = message(Priority.BULK, ago(1), "a@x.example");
        IncomingMessage alive = message(Priority.BULK, ago(1), "b@x.example");
        spool.storeClaimed(dead, "dead").block(WAIT);
        spool.storeClaimed(alive, "other").block(WAIT);
        store.heartbeat("dead", Duration.ofMinutes(1)).block(WAIT);
        store.heartbeat("other", Duration.ofMinutes(1)).block(WAIT);
        sql("UPDATE relay_node SET heartbeat_at = now() - interval '2 minutes' WHERE name = 'dead'");

        store.heartbeat("me", Duration.ofMinutes(1)).block(WAIT);

        assertThat(rows("SELECT name FROM relay_node ORDER BY name")).containsExactly("dead", "me", "other");
        StepVerifier.create(store.liveNodes(Duration.ofMinutes(1))).expectNext(2).verifyComplete();
        assertThat(claim("me", 10)).extracting(ClaimedMessage::id).containsExactly(dead.id());
        assertThat(rows("SELECT claimed_by FROM recipient WHERE message_id = '" + alive.id().uuid() + "'"))
                .containsExactly("other");
    }

    @Test
    void finalUpdatesRetireRecipientsAndTheLastOneTheMessage() {
        IncomingMessage m = stored(Priority.TRANSACTIONAL, ago(1), "a@x.example", "b@y.example");
        assertThat(claim("n1", 10)).hasSize(1);

        store.record(List.of(update(m.id(), 0, Kind.DELIVERED, null))).block(WAIT);
        assertThat(rows("SELECT idx FROM recipient")).containsExactly("1");
        StepVerifier.create(store.content(m.id())).expectNextCount(1).verifyComplete();

        store.record(List.of(update(m.id(), 1, Kind.BOUNCED, null))).block(WAIT);
        assertThat(rows("SELECT count(*) FROM recipient")).containsExactly("0");
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
        StepVerifier.create(store.content(m.id())).verifyComplete();
        StepVerifier.create(store.depth()).verifyComplete();
        assertThat(rows("SELECT message_id = '" + m.id().uuid() + "', kind, recipient, attempt, remote_host, reply"
                + " FROM event ORDER BY id")).containsExactly(
                "true|1|null|null|null|null",
                "true|2|a@x.example|1|mx.example|reply DELIVERED",
                "true|4|b@y.example|1|mx.example|reply BOUNCED");
    }

    @Test
    void contentsOfSeveralMessagesComeInOneQueryAndGoneOnesAreMissing() {
        IncomingMessage a = stored(Priority.TRANSACTIONAL, ago(1), "a@x.example");
        IncomingMessage b = stored(Priority.BULK, ago(1), "b@x.example");
        IncomingMessage gone = stored(Priority.BULK, ago(1), "c@x.example");
        sql("DELETE FROM message WHERE id = '" + gone.id().uuid() + "'");

        var contents = store.contents(List.of(a.id(), gone.id(), b.id(), MessageId.newId()))
                .collectMap(DeliveryStore.StoredContent::id, c -> new String(c.content(), StandardCharsets.US_ASCII))
                .block(WAIT);
        assertThat(contents).containsOnlyKeys(a.id(), b.id());
        assertThat(contents.get(a.id())).isEqualTo("Subject: x\r\n\r\nbody\r\n");
        StepVerifier.create(store.contents(List.of())).verifyComplete();
    }

    @Test
    void deferredRequeuesForItsNextAttemptOnly() {
        IncomingMessage m = stored(Priority.BULK, ago(1), "a@x.example");
        claim("n1", 10);
        Instant later = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MICROS);
        store.record(List.of(update(m.id(), 0, Kind.DEFERRED, later))).block(WAIT);
        assertThat(rows("SELECT state, claimed_by, attempts, last_reply FROM recipient"))
                .containsExactly("0|null|1|reply DEFERRED");
        assertThat(claim("n1", 10)).isEmpty();

        sql("UPDATE recipient SET next_attempt_at = now() - interval '1 second'"); // time passes
        List<ClaimedMessage> again = claim("n2", 10);
        assertThat(again).singleElement().satisfies(c -> assertThat(c.recipients().get(0).attempts()).isEqualTo(1));
        store.record(List.of(update(m.id(), 0, Kind.DEFERRED, later))).block(WAIT);
        sql("UPDATE recipient SET next_attempt_at = now() - interval '1 second'");
        claim("n2", 10);
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.EXPIRED, null, null, "too old")))
                .block(WAIT);

        assertThat(rows("SELECT kind, attempt, remote_host, reply FROM event WHERE kind <> "
                + EventKind.ACCEPTED.code() + " ORDER BY id"))
                .containsExactly(EventKind.DEFERRED.code() + "|1|mx.example|reply DEFERRED",
                        EventKind.DEFERRED.code() + "|2|mx.example|reply DEFERRED",
                        EventKind.EXPIRED.code() + "|null|null|too old");
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
    }

    @Test
    void concurrentClaimersNeverShareARecipientAndConcurrentRecordsRetireEveryMessage() {
        int messages = 1000;
        Flux.range(0, messages).flatMap(i -> spool.store(message(i % 3 == 0 ? Priority.TRANSACTIONAL : Priority.BULK,
                ago(1 + i % 7), "a" + i + "@x.example", "b" + i + "@y.example")), 64).blockLast(WAIT);

        List<String> claimed = Collections.synchronizedList(new ArrayList<>());
        List<RecipientUpdate> updates = Collections.synchronizedList(new ArrayList<>());
        Flux.range(0, 4).flatMap(n -> Mono.defer(() -> store.claimDue("node" + n, 37).collectList())
                        .repeat()
                        .takeWhile(list -> !list.isEmpty())
                        .doOnNext(list -> list.forEach(c -> c.recipients().forEach(r -> {
                            claimed.add(c.id() + "/" + r.index() + "/node" + n);
                            updates.add(new RecipientUpdate(c.id(), r.index(), r.address(), Kind.DELIVERED, null,
                                    "mx", "250")); }))))
                .blockLast(WAIT);

        assertThat(claimed).hasSize(2 * messages);
        assertThat(claimed.stream().map(s -> s.substring(0, s.lastIndexOf('/'))).distinct()).hasSize(2 * messages);
        assertThat(rows("SELECT count(*) FROM recipient WHERE state = 1")).containsExactly(String.valueOf(2 * messages));
        Set<String> inDatabase = new HashSet<>(rows("SELECT message_id, idx, claimed_by FROM recipient"));
        assertThat(claimed).allSatisfy(c -> {
            String[] p = c.split("/");
            assertThat(inDatabase).contains(MessageId.parse(p[0]).uuid() + "|" + p[1] + "|" + p[2]);
        });

        // both recipients of a message usually end in different calls, often in different concurrent batches (as
        // with several nodes: one node's store writes back with one committer, see DeliveryStoreSettings)
        Collections.shuffle(updates);
        long t0 = System.nanoTime();
        try (PgDeliveryStore concurrent = new PgDeliveryStore(pool, new DeliveryStoreSettings(4, 1000, 100_000, Duration.ZERO),
                RecordObserver.NONE)) {
            Flux.range(0, updates.size() / 10)
                    .flatMap(i -> concurrent.record(updates.subList(i * 10, i * 10 + 10)), 64)
                    .blockLast(WAIT);
        }
        LoggerFactory.getLogger(PgDeliveryStoreIT.class).info("recorded {} updates in calls of 10 in {} ms",
                updates.size(), (System.nanoTime() - t0) / 1_000_000);
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
        assertThat(rows("SELECT count(*) FROM recipient")).containsExactly("0");
        assertThat(rows("SELECT kind, count(*) FROM event GROUP BY kind ORDER BY kind"))
                .containsExactly(EventKind.ACCEPTED.code() + "|" + messages,
                        EventKind.DELIVERED.code() + "|" + 2 * messages);
    }

    /** Counts the store's batches: {calls, updates} of each written one into {@code batches}, failed ones. */
    private static RecordObserver counting(List<int[]> batches, AtomicInteger failed) {
        return new RecordObserver() {
            @Override
            public void batchRecorded(int calls, int updates, long nanos) {
                batches.add(new int[] {calls, updates});
            }

            @Override
            public void batchFailed(int calls, int updates, Throwable cause) {
                failed.incrementAndGet();
            }
        };
    }

    @Test
    void withAMinimumIntervalCallsArrivingOneByOneShareABatch() {
        List<IncomingMessage> ms = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ms.add(stored(Priority.BULK, ago(1), "p" + i + "@x.example"));
        }
        assertThat(claim("n1", 100)).hasSize(6);
        List<int[]> batches = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failed = new AtomicInteger();
        RecordObserver observer = counting(batches, failed);
        // an interval far longer than this test's calls take to issue, so that the outcome does not hang on timing
        try (PgDeliveryStore paced = new PgDeliveryStore(pool,
                new DeliveryStoreSettings(1, 100, 100, Duration.ofSeconds(1)), observer)) {
            paced.record(List.of(update(ms.get(0).id(), 0, Kind.DELIVERED, null))).block(WAIT);
            // each of the next five is issued after the previous one reached the store, none waits for another's
            // commit: without the interval the first of them would go alone as soon as it arrived
            List<Mono<Void>> calls = new ArrayList<>();
            for (IncomingMessage m : ms.subList(1, ms.size())) {
                Mono<Void> call = paced.record(List.of(update(m.id(), 0, Kind.DELIVERED, null))).cache();
                call.subscribe(v -> { }, e -> { });
                calls.add(call);
            }
            StepVerifier.create(Flux.merge(calls)).expectComplete().verify(WAIT);
        }
        assertThat(failed.get()).isZero();
        assertThat(batches).extracting(b -> b[0]).containsExactly(1, 5);
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
    }

    @Test
    void concurrentRecordCallsAreMergedIntoOneBatch() {
        List<IncomingMessage> ms = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            ms.add(stored(Priority.BULK, ago(1), "a" + i + "@x.example"));
        }
        assertThat(claim("n1", 100)).hasSize(11);
        List<int[]> batches = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failed = new AtomicInteger();
        RecordObserver observer = counting(batches, failed);
        ConnectionPool lockPool = db.pool(1);
        Connection locker = Mono.from(lockPool.create()).block(WAIT);
        try (PgDeliveryStore batching = new PgDeliveryStore(pool, new DeliveryStoreSettings(1, 100, 100, Duration.ZERO),
                observer)) {
            // the first batch waits for the lock; the other ten queue up behind it meanwhile
            Mono.from(locker.beginTransaction()).then(Database.execute(locker, "LOCK TABLE event IN EXCLUSIVE MODE"))
                    .block(WAIT);
            List<Mono<Void>> calls = new ArrayList<>();
            for (IncomingMessage m : ms) {
                Mono<Void> call = batching.record(List.of(update(m.id(), 0, Kind.DELIVERED, null))).cache();
                call.subscribe(v -> { }, e -> { });
                calls.add(call);
            }
            Mono.from(locker.commitTransaction()).block(WAIT);
            StepVerifier.create(Flux.merge(calls)).expectComplete().verify(WAIT);
        } finally {
            Mono.from(locker.close()).block(WAIT);
        }
        assertThat(failed.get()).isZero();
        assertThat(batches).extracting(b -> b[0]).containsExactly(1, 10);
        assertThat(batches).extracting(b -> b[1]).containsExactly(1, 10);
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
    }

    @Test
    void aReplyWithNulIsStoredCleanedAndCut() {
        IncomingMessage m = stored(Priority.TRANSACTIONAL, ago(1), "a@x.example", "b@x.example");
        assertThat(claim("n1", 10)).hasSize(1);

        store.record("n1", List.of(
                new RecipientUpdate(m.id(), 0, "a@x.example", Kind.BOUNCED, null, "mx\0.x.example",
                        "550 5.1.1 no\0such user"),
                new RecipientUpdate(m.id(), 1, "b@x.example", Kind.DEFERRED, Instant.now().plusSeconds(600),
                        "mx.x.example", "451 " + "y".repeat(5000)))).block(WAIT);

        assertThat(rows("SELECT kind, remote_host, reply FROM event WHERE kind = " + EventKind.BOUNCED.code()))
                .containsExactly(EventKind.BOUNCED.code() + "|mx .x.example|550 5.1.1 no such user");
        assertThat(rows("SELECT length(last_reply), length(reply) FROM recipient, event WHERE event.kind = "
                + EventKind.DEFERRED.code()))
                .containsExactly(StoredText.MAX_CHARS + 3 + "|" + (StoredText.MAX_CHARS + 3));
    }

    @Test
    void aBatchWithOnePermanentlyFailingUpdateDoesNotFailTheOthers() {
        List<IncomingMessage> ms = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ms.add(stored(Priority.TRANSACTIONAL, ago(1), "r" + i + "@x.example"));
        }
        assertThat(claim("n1", 10)).hasSize(5);
        // a write that can never succeed, whatever the cause: here a constraint the third update violates
        sql("ALTER TABLE event ADD CONSTRAINT poison CHECK (reply IS DISTINCT FROM 'poison')");
        AtomicInteger failedBatches = new AtomicInteger();
        List<int[]> written = Collections.synchronizedList(new ArrayList<>());
        RecordObserver observer = counting(written, failedBatches);
        ConnectionPool lockPool = db.pool(1);
        Connection locker = Mono.from(lockPool.create()).block(WAIT);
        List<String> results = Collections.synchronizedList(new ArrayList<>());
        try (PgDeliveryStore batching = new PgDeliveryStore(pool, new DeliveryStoreSettings(1, 100, 100, Duration.ZERO),
                observer)) {
            // the first call waits for the lock; the four others queue up behind it and form one batch
            Mono.from(locker.beginTransaction()).then(Database.execute(locker, "LOCK TABLE event IN EXCLUSIVE MODE"))
                    .block(WAIT);
            List<Mono<Void>> calls = new ArrayList<>();
            for (int i = 0; i < ms.size(); i++) {
                String reply = i == 2 ? "poison" : "250 ok";
                String name = "r" + i;
                Mono<Void> call = batching.record("n1", List.of(new RecipientUpdate(ms.get(i).id(), 0,
                                name + "@x.example", Kind.DELIVERED, null, "mx", reply)))
                        .doOnSuccess(v -> results.add(name + " ok"))
                        .doOnError(e -> results.add(name + (StorageErrors.isTransient(e) ? " transient" : " permanent")))
                        .onErrorResume(e -> Mono.empty())
                        .cache();
                call.subscribe();
                calls.add(call);
            }
            Mono.from(locker.commitTransaction()).block(WAIT);
            Flux.merge(calls).blockLast(WAIT);
        } finally {
            Mono.from(locker.close()).block(WAIT);
            lockPool.dispose();
            sql("ALTER TABLE event DROP CONSTRAINT poison");
        }
        assertThat(results).containsExactlyInAnyOrder("r0 ok", "r1 ok", "r2 permanent", "r3 ok", "r4 ok");
        assertThat(rows("SELECT address FROM recipient")).containsExactly("r2@x.example");
        assertThat(rows("SELECT count(*) FROM event WHERE kind = " + EventKind.DELIVERED.code()))
                .containsExactly("4");
        assertThat(failedBatches.get()).isEqualTo(1); // the poison alone, not its batch
    }

    @Test
    void aLateWriteBackOfANodeWhoseClaimsWereTakenOverChangesNothing() {
        IncomingMessage m = stored(Priority.TRANSACTIONAL, ago(1), "a@x.example", "b@x.example");
        assertThat(claim("old", 10)).hasSize(1);
        store.heartbeat("old", Duration.ofMinutes(1)).block(WAIT);
        sql("UPDATE relay_node SET heartbeat_at = now() - interval '2 minutes' WHERE name = 'old'");

        DeliveryStore.Heartbeat first = store.heartbeat("new", Duration.ofMinutes(1)).block(WAIT);
        assertThat(first.takenOver()).containsExactly(Map.entry("old", 2L));
        assertThat(first.sincePrevious()).isNull();
        assertThat(claim("new", 10)).hasSize(1);
        // the stale node comes back and writes what it delivered before it lost its claims
        store.record("old", List.of(update(m.id(), 0, Kind.DELIVERED, null),
                update(m.id(), 1, Kind.DEFERRED, Instant.now().plusSeconds(600)))).block(WAIT);

        assertThat(rows("SELECT idx, state, claimed_by, attempts FROM recipient ORDER BY idx"))
                .containsExactly("0|1|new|0", "1|1|new|0");
        assertThat(rows("SELECT count(*) FROM event WHERE kind <> " + EventKind.ACCEPTED.code()))
                .containsExactly("0");
        // the new owner's write-back applies
        store.record("new", List.of(update(m.id(), 0, Kind.DELIVERED, null))).block(WAIT);
        assertThat(rows("SELECT idx FROM recipient")).containsExactly("1");
        assertThat(store.heartbeat("new", Duration.ofMinutes(1)).block(WAIT).takenOver()).isEmpty();
        // the stale node learns from the database how long it was silent
        assertThat(store.heartbeat("old", Duration.ofMinutes(1)).block(WAIT).sincePrevious())
                .isBetween(Duration.ofSeconds(119), Duration.ofSeconds(150));
    }

    @Test
    void aMessageStoredClaimedCanBeReleasedAloneAndNodesSeeTheirLastBeat() {
        IncomingMessage m = message(Priority.BULK, ago(1), "a@x.example");
        IncomingMessage other = message(Priority.BULK, ago(1), "b@x.example");
        spool.storeClaimed(m, "n1").block(WAIT);
        spool.storeClaimed(other, "n1").block(WAIT);

        assertThat(store.releaseMessage("n2", m.id()).block(WAIT)).isZero();
        assertThat(store.releaseMessage("n1", m.id()).block(WAIT)).isEqualTo(1L);
        assertThat(rows("SELECT address, state FROM recipient ORDER BY address")).containsExactly("a@x.example|0",
                "b@x.example|1");

        StepVerifier.create(store.lastBeat("n1")).verifyComplete();
        store.heartbeat("n1", Duration.ofMinutes(1)).block(WAIT);
        DeliveryStore.NodeBeat beat = store.lastBeat("n1").block(WAIT);
        assertThat(beat.age()).isLessThan(Duration.ofSeconds(30)).isGreaterThanOrEqualTo(Duration.ZERO);
        store.leave("n1").block(WAIT);
        StepVerifier.create(store.lastBeat("n1")).verifyComplete();
    }

    @Test
    void settingsAreValidated() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DeliveryStoreSettings(0, 1, 1, Duration.ZERO))
                .hasMessageContaining("committers");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.claimDue("n", 0))
                .hasMessageContaining("limit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.heartbeat("n", Duration.ZERO))
                .hasMessageContaining("staleAfter");
    }
}
