package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.PgWebhooks.Endpoint;
import dev.relay.storage.PgWebhooks.Failure;
import dev.relay.storage.PgWebhooks.OutboxEvent;
import dev.relay.storage.RecipientUpdate.Kind;
import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The webhook outbox against a real PostgreSQL: rows written by the statements that write the events (acceptance
 * and write-back), only for endpoints wanting the sender and kind; claims that skip each other's rows and lease
 * them; failures retried or dead-lettered; dead letters replayed.
 */
class WebhooksIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final short ACCEPTED = EventKind.ACCEPTED.code();
    private static final short DELIVERED = EventKind.DELIVERED.code();
    private static final short DEFERRED = EventKind.DEFERRED.code();
    private static TestDatabase db;
    private static ConnectionPool pool;
    private static PgWebhooks webhooks;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("webhooks");
        db.migrate().block(WAIT);
        pool = db.pool(4);
        webhooks = new PgWebhooks(pool);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestSql.execute(pool, "DELETE FROM webhook_endpoint; DELETE FROM recipient; DELETE FROM message;"
                + " DELETE FROM suppression; DELETE FROM site_suspension");
    }

    @Test
    void outboxRowsAreWrittenWithTheEventsForMatchingEndpointsOnly() {
        Endpoint shopAll = add("shop", ACCEPTED, DELIVERED, DEFERRED);
        Endpoint shopDelivered = add("shop", DELIVERED);
        Endpoint everyone = add("*", DEFERRED);
        Endpoint other = add("news", ACCEPTED, DELIVERED, DEFERRED);
        IncomingMessage shop = message("shop", 2);
        IncomingMessage anonymous = message(null, 1);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            Flux.just(shop, anonymous).flatMap(spool::store).blockLast(WAIT);
        }
        record(List.of(update(shop, 0, Kind.DELIVERED), update(shop, 1, Kind.DEFERRED),
                update(anonymous, 0, Kind.DEFERRED)));

        assertThat(outbox(shopAll)).containsExactlyInAnyOrder("shop|" + ACCEPTED, "shop|" + DELIVERED,
                "shop|" + DEFERRED);
        assertThat(outbox(shopDelivered)).containsExactly("shop|" + DELIVERED);
        assertThat(outbox(everyone)).containsExactlyInAnyOrder("shop|" + DEFERRED, "|" + DEFERRED);
        assertThat(outbox(other)).isEmpty();
        // every row points at its event by primary key
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox o LEFT JOIN event e"
                + " ON e.id = o.event_id AND e.at = o.event_at WHERE e.id IS NULL")).containsExactly("0");
    }

    @Test
    void noEndpointNoRows() {
        IncomingMessage m = message("shop", 1);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            spool.store(m).block(WAIT);
        }
        record(List.of(update(m, 0, Kind.DELIVERED)));
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox")).containsExactly("0");
    }

    /**
     * The events written outside the write-back and the acceptance (operator actions, suppression changes, the
     * bounce intake) get their outbox rows in the same statement too, for their sender: the message's AUTH user,
     * the suppression's scope, '' for site events and kept bounces.
     */
    @Test
    void adminSuppressionAndIntakeEventsReachTheOutbox() {
        short[] kinds = {EventKind.FLUSHED.code(), EventKind.SITE_SUSPENDED.code(), EventKind.SITE_RESUMED.code(),
                EventKind.ADMIN_DELETED.code(), EventKind.ADMIN_BOUNCED.code(), EventKind.SUPPRESSION_ADDED.code(),
                EventKind.SUPPRESSION_REMOVED.code(), EventKind.BOUNCED.code(), EventKind.COMPLAINED.code(),
                EventKind.AUTO_REPLIED.code(), EventKind.BOUNCE_KEPT.code()};
        Endpoint shop = add("shop", kinds);
        Endpoint everyone = add("*", kinds);
        Endpoint acceptedOnly = add("*", ACCEPTED);
        IncomingMessage flushed = message("shop", 1);
        IncomingMessage deleted = message("shop", 1);
        IncomingMessage bounced = message("shop", 1);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            Flux.just(flushed, deleted, bounced).flatMap(spool::store).blockLast(WAIT);
        }
        record(List.of(update(flushed, 0, Kind.DEFERRED)));
        PgQueueAdmin admin = new PgQueueAdmin(pool);
        assertThat(admin.flush(null, "op").block(WAIT)).isEqualTo(1L);
        admin.suspend("x.example", null, "maintenance", "op").block(WAIT);
        admin.resume("x.example", "op").block(WAIT);
        admin.delete(deleted.id(), "op").block(WAIT);
        admin.bounce(bounced.id(), "op", "bounced by an operator", (m, content) -> reactor.core.publisher.Mono.empty())
                .block(WAIT);
        PgSuppressions suppressions = new PgSuppressions(pool);
        suppressions.addHardBounce("shop", "dead@x.example", "unknown_user", "550 5.1.1").block(WAIT);
        suppressions.remove("shop", "dead@x.example", "op").block(WAIT);
        suppressions.addComplaint("*", "angry@x.example", null).block(WAIT);
        PgBounceIntake intake = new PgBounceIntake(pool);
        for (EventKind k : List.of(EventKind.BOUNCED, EventKind.COMPLAINED, EventKind.AUTO_REPLIED)) {
            intake.record(new PgBounceIntake.IntakeEvent(flushed.id(), "r0@x.example", 0, "shop", k, null, "text",
                    null, null)).block(WAIT);
        }
        intake.keep("not a report", null, null, "192.0.2.9", new byte[] {1}).block(WAIT);

        List<String> forShop = List.of("shop|" + EventKind.FLUSHED.code(), "shop|" + EventKind.ADMIN_DELETED.code(),
                "shop|" + EventKind.ADMIN_BOUNCED.code(), "shop|" + EventKind.SUPPRESSION_ADDED.code(),
                "shop|" + EventKind.SUPPRESSION_REMOVED.code(), "shop|" + EventKind.BOUNCED.code(),
                "shop|" + EventKind.COMPLAINED.code(), "shop|" + EventKind.AUTO_REPLIED.code());
        assertThat(outbox(shop)).containsExactlyInAnyOrderElementsOf(forShop);
        List<String> forEveryone = new java.util.ArrayList<>(forShop);
        forEveryone.addAll(List.of("|" + EventKind.SITE_SUSPENDED.code(), "|" + EventKind.SITE_RESUMED.code(),
                "|" + EventKind.SUPPRESSION_ADDED.code(), "|" + EventKind.BOUNCE_KEPT.code()));
        assertThat(outbox(everyone)).containsExactlyInAnyOrderElementsOf(forEveryone);
        assertThat(outbox(acceptedOnly)).hasSize(3).allMatch(r -> r.equals("shop|" + ACCEPTED));
    }

    @Test
    void adminSuppressionAndIntakeEventsWithoutAnEndpointWantingThemWriteNoOutboxRows() {
        Endpoint other = add("news", EventKind.FLUSHED.code(), EventKind.SUPPRESSION_ADDED.code(),
                EventKind.BOUNCED.code());
        Endpoint deliveredOnly = add("*", DELIVERED);
        IncomingMessage m = message("shop", 1);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            spool.store(m).block(WAIT);
        }
        record(List.of(update(m, 0, Kind.DEFERRED)));
        new PgQueueAdmin(pool).flush(null, "op").block(WAIT);
        new PgSuppressions(pool).addHardBounce("shop", "dead@x.example", null, null).block(WAIT);
        new PgBounceIntake(pool).record(new PgBounceIntake.IntakeEvent(m.id(), "r0@x.example", 0, "shop",
                EventKind.BOUNCED, null, null, null, null)).block(WAIT);
        assertThat(outbox(other)).isEmpty();
        assertThat(outbox(deliveredOnly)).isEmpty();
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox")).containsExactly("0");
    }

    @Test
    void claimedEventsCarryTheirClassification() {
        Endpoint e = add("shop", EventKind.BOUNCED.code(), DELIVERED);
        IncomingMessage m = message("shop", 2);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            spool.store(m).block(WAIT);
        }
        record(List.of(update(m, 1, Kind.DELIVERED)));
        new PgBounceIntake(pool).record(new PgBounceIntake.IntakeEvent(m.id(), "r0@x.example", 0, "shop",
                EventKind.BOUNCED, "mx.x.example", "550 5.1.1 no such user", "unknown_user", "hard")).block(WAIT);
        List<OutboxEvent> claimed = claim(e, 10, Duration.ofMinutes(1));
        assertThat(claimed).extracting(o -> EventKind.labelOf(java.util.Objects.requireNonNull(o.kind())) + "|"
                + o.category() + "|" + o.bounceClass()).containsExactly("delivered|null|null",
                "bounced|unknown_user|hard");
    }

    @Test
    void claimsLeaseRowsSoASecondClaimSkipsThemAndTheyFallDueAgainAfterTheLease() throws Exception {
        Endpoint e = add("shop", ACCEPTED);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            Flux.range(0, 5).flatMap(i -> spool.store(message("shop", 1))).blockLast(WAIT);
        }
        List<OutboxEvent> first = claim(e, 3, Duration.ofMillis(500));
        List<OutboxEvent> second = claim(e, 10, Duration.ofMinutes(5));
        assertThat(first).hasSize(3).allSatisfy(o -> {
            assertThat(o.kind()).isEqualTo(ACCEPTED);
            assertThat(o.messageId()).isNotNull();
            assertThat(o.sender()).isEqualTo("shop");
        });
        assertThat(second).hasSize(2);
        assertThat(claim(e, 10, Duration.ofMinutes(5))).isEmpty();
        // the first claimer "died": its rows come back after the lease, never lost
        dev.relay.storage.testing.Await.until(Duration.ofSeconds(10), () -> !claim(e, 10, Duration.ofMinutes(5))
                .isEmpty());
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox")).containsExactly("5");
        assertThat(webhooks.done(first.stream().map(OutboxEvent::outboxId).toList()).block(WAIT)).isEqualTo(3);
        assertThat(webhooks.counts().collectList().block(WAIT))
                .containsExactly(new PgWebhooks.Counts(e.id(), 2, 0));
    }

    @Test
    void failuresAreRetriedOrDeadLetteredAndDeadLettersReplayed() {
        Endpoint e = add("shop", ACCEPTED);
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            Flux.range(0, 2).flatMap(i -> spool.store(message("shop", 1))).blockLast(WAIT);
        }
        List<OutboxEvent> claimed = claim(e, 10, Duration.ofMinutes(1));
        Instant later = Instant.now().plusSeconds(3600);
        webhooks.failed(List.of(new Failure(claimed.get(0).outboxId(), later, false),
                new Failure(claimed.get(1).outboxId(), later, true)), "HTTP 500").block(WAIT);
        assertThat(claim(e, 10, Duration.ofMinutes(1))).isEmpty();
        assertThat(webhooks.counts().collectList().block(WAIT)).containsExactly(new PgWebhooks.Counts(e.id(), 1, 1));
        var dead = webhooks.deadLetters(null, 10).collectList().block(WAIT);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.outboxId()).isEqualTo(claimed.get(1).outboxId());
            assertThat(d.attempts()).isEqualTo(1);
            assertThat(d.lastError()).isEqualTo("HTTP 500");
        });
        assertThat(webhooks.replay(e.id()).block(WAIT)).isEqualTo(1);
        assertThat(claim(e, 10, Duration.ofMinutes(1))).singleElement()
                .satisfies(o -> assertThat(o.deliveries()).isZero());
        assertThat(webhooks.remove(e.id()).block(WAIT)).isTrue();
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox")).containsExactly("0");
    }

    private static Endpoint add(String sender, short... kinds) {
        List<Short> k = new java.util.ArrayList<>();
        for (short s : kinds) {
            k.add(s);
        }
        return webhooks.add(sender, "http://127.0.0.1:9/hook", "secret", k, 4).block(WAIT);
    }

    private static List<String> outbox(Endpoint e) {
        return TestSql.rows(pool, "SELECT o.sender, e.kind FROM webhook_outbox o JOIN event e ON e.id = o.event_id"
                + " AND e.at = o.event_at WHERE o.endpoint_id = " + e.id());
    }

    private static List<OutboxEvent> claim(Endpoint e, int limit, Duration lease) {
        return webhooks.claim(e.id(), limit, lease).collectList().block(WAIT);
    }

    private static IncomingMessage message(@Nullable String account, int recipients) {
        List<String> rcpts = new java.util.ArrayList<>();
        for (int i = 0; i < recipients; i++) {
            rcpts.add("r" + i + "@x.example");
        }
        return new IncomingMessage(MessageId.newId(), "s@example.org", rcpts, account, Priority.TRANSACTIONAL,
                Instant.now().truncatedTo(ChronoUnit.MICROS), false, false, "192.0.2.1", "c.example",
                Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII));
    }

    private static RecipientUpdate update(IncomingMessage m, int index, Kind kind) {
        return new RecipientUpdate(m.id(), index, m.recipients().get(index), kind,
                kind == Kind.DEFERRED ? Instant.now().plusSeconds(600) : null, "mx.example", "250 ok", null);
    }

    private static void record(List<RecipientUpdate> updates) {
        Database.withConnection(pool, c -> RecordSql.write(c, updates.stream()
                .map(u -> new RecordSql.Owned(u, null)).toList())).block(WAIT);
    }
}
