package dev.relay.storage;

import static dev.relay.storage.PgDeliveryStoreIT.ago;
import static dev.relay.storage.PgDeliveryStoreIT.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.storage.QueueRecords.Filter;
import dev.relay.storage.QueueRecords.History;
import dev.relay.storage.QueueRecords.Removal;
import dev.relay.storage.QueueRecords.SiteGroup;
import dev.relay.storage.QueueRecords.Suspension;
import dev.relay.storage.RecipientUpdate.Kind;
import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link PgQueueAdmin} and the schema V3 parts of the write-back (site, holds) on a real PostgreSQL, with messages
 * stored by the real spool and claimed by the real delivery store.
 */
class PgQueueAdminIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private GroupCommitSpool spool;
    private PgDeliveryStore store;
    private PgQueueAdmin admin;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("queueadmin");
        db.migrate().block(WAIT);
        pool = db.pool(8);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        sql("DELETE FROM message; DELETE FROM event; DELETE FROM site_suspension");
        spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE);
        store = new PgDeliveryStore(pool);
        admin = new PgQueueAdmin(pool);
    }

    @AfterEach
    void close() {
        spool.close();
        store.close();
    }

    private static void sql(String sql) {
        TestSql.execute(pool, sql);
    }

    private static List<String> rows(String sql) {
        return TestSql.rows(pool, sql);
    }

    private IncomingMessage stored(Priority priority, Instant receivedAt, String... recipients) {
        IncomingMessage m = message(priority, receivedAt, recipients);
        spool.store(m).block(WAIT);
        return m;
    }

    private List<ClaimedMessage> claim(int limit) {
        return store.claimDue("n1", limit).collectList().block(WAIT);
    }

    private void defer(MessageId id, int index, String address, Instant next, String site) {
        store.record(List.of(new RecipientUpdate(id, index, address, Kind.DEFERRED, next, "mx.example",
                "451 4.7.1 later", site))).block(WAIT);
    }

    private static Instant inHours(int hours) {
        return Instant.now().plus(Duration.ofHours(hours)).truncatedTo(ChronoUnit.MICROS);
    }

    @Test
    void deferralsRecordTheSiteAndHoldsKeepTheAttemptCount() {
        IncomingMessage m = stored(Priority.BULK, ago(5), "a@x.example");
        claim(10);
        defer(m.id(), 0, "a@x.example", ago(0), "google.com");
        assertThat(rows("SELECT site, attempts, last_reply FROM recipient"))
                .containsExactly("google.com|1|451 4.7.1 later");
        claim(10);
        Instant until = inHours(1);
        suspended("google.com");
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.HELD, until, null,
                "site google.com suspended: incident", "google.com"))).block(WAIT);
        assertThat(rows("SELECT state, claimed_by, site, attempts, last_reply, next_attempt_at = '" + until
                + "'::timestamptz FROM recipient")).containsExactly("0|null|google.com|1|451 4.7.1 later|true");
        // a deferral without a site (routing failed) keeps the one recorded before
        sql("UPDATE recipient SET next_attempt_at = now()");
        claim(10);
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.DEFERRED, until, null, "dns")))
                .block(WAIT);
        assertThat(rows("SELECT site, attempts FROM recipient")).containsExactly("google.com|2");
        assertThat(rows("SELECT kind, attempt, reply, site FROM event WHERE kind <> " + EventKind.ACCEPTED.code()
                + " ORDER BY id")).containsExactly(
                EventKind.DEFERRED.code() + "|1|451 4.7.1 later|google.com",
                EventKind.HELD.code() + "|null|site google.com suspended: incident|google.com",
                EventKind.DEFERRED.code() + "|2|dns|null");
        assertThatThrownBy(() -> new RecipientUpdate(m.id(), 0, "a", Kind.HELD, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHeldRecipientStoredClaimedIsNotDueUntilItsTime() {
        IncomingMessage m = message(Priority.TRANSACTIONAL, ago(0), "a@x.example");
        spool.storeClaimed(m, "n1").block(WAIT);
        suspended("s");
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.HELD, inHours(1), null, "held",
                "s"))).block(WAIT);
        assertThat(rows("SELECT state, next_attempt_at > now() FROM recipient")).containsExactly("0|true");
        assertThat(claim(10)).isEmpty();
    }

    /** A node's copy of the suspensions may be seconds old: a hold written after the resume must not stick. */
    @Test
    void aHoldForASiteNoLongerSuspendedIsDueAtOnce() {
        IncomingMessage m = message(Priority.TRANSACTIONAL, ago(0), "a@x.example", "b@x.example");
        spool.storeClaimed(m, "n1").block(WAIT);
        sql("INSERT INTO site_suspension(site, until, reason, created_by) VALUES ('over', now() - interval '1 s',"
                + " 'ended', 'test')");
        store.record(List.of(
                new RecipientUpdate(m.id(), 0, "a@x.example", Kind.HELD, inHours(1), null, "held", "resumed"),
                new RecipientUpdate(m.id(), 1, "b@x.example", Kind.HELD, inHours(1), null, "held", "over")))
                .block(WAIT);
        assertThat(rows("SELECT state, next_attempt_at <= now() FROM recipient")).containsExactly("0|true", "0|true");
        assertThat(claim(10)).hasSize(1);
    }

    private static void suspended(String site) {
        sql("INSERT INTO site_suspension(site, until, reason, created_by) VALUES ('" + site + "',"
                + " now() + interval '2 hours', 'test', 'test')");
    }

    @Test
    void summaryGroupsBySiteAndPriorityAndNamesTheDomainsOfUnroutedRecipients() {
        IncomingMessage t = stored(Priority.TRANSACTIONAL, ago(30), "a@x.example", "b@y.example");
        IncomingMessage b = stored(Priority.BULK, ago(10), "c@z.example");
        claim(10);
        Instant next = inHours(1);
        defer(t.id(), 0, "a@x.example", next, "google.com");
        defer(t.id(), 1, "b@y.example", inHours(2), "google.com");
        IncomingMessage fresh = stored(Priority.BULK, ago(1), "d@z.example", "e@w.example");

        List<SiteGroup> groups = admin.summary().collectList().block(WAIT);
        assertThat(groups).containsExactly(
                new SiteGroup("google.com", null, Priority.TRANSACTIONAL, 2, 0, 2, t.receivedAt(), next),
                new SiteGroup(null, "w.example", Priority.BULK, 1, 0, 0, fresh.receivedAt(),
                        groups.get(1).nextAttemptAt()),
                new SiteGroup(null, "z.example", Priority.BULK, 2, 1, 0, b.receivedAt(),
                        groups.get(2).nextAttemptAt()));
        assertThat(groups.get(2).nextAttemptAt()).isNotNull(); // d is queued, c in flight
    }

    @Test
    void summaryFoldsUnroutedDomainsBeyondTheLargestIntoOneGroup() {
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < PgQueueAdmin.UNROUTED_DOMAINS + 5; i++) {
            recipients.add("u@d" + i + ".example");
        }
        recipients.add("v@d0.example"); // d0 is the largest group
        stored(Priority.BULK, ago(1), recipients.toArray(String[]::new));
        List<SiteGroup> groups = admin.summary().collectList().block(WAIT);
        assertThat(groups).hasSize(PgQueueAdmin.UNROUTED_DOMAINS + 1);
        assertThat(groups.get(0)).satisfies(g -> {
            assertThat(g.domain()).isEqualTo("d0.example");
            assertThat(g.recipients()).isEqualTo(2);
        });
        SiteGroup rest = groups.get(groups.size() - 1);
        assertThat(rest.site()).isNull();
        assertThat(rest.domain()).isNull();
        assertThat(rest.recipients()).isEqualTo(5);
        assertThat(groups.stream().mapToLong(SiteGroup::recipients).sum()).isEqualTo(recipients.size());
    }

    @Test
    void listFiltersByDomainSiteStateAndLimitOldestFirst() {
        IncomingMessage first = stored(Priority.TRANSACTIONAL, ago(30), "a@x.example", "b@y.example");
        claim(10);
        defer(first.id(), 0, "a@x.example", inHours(1), "x-site");
        IncomingMessage second = stored(Priority.BULK, ago(1), "c@x.example");

        assertThat(admin.list(new Filter(null, null, null, 10)).collectList().block(WAIT))
                .extracting(e -> e.address() + ":" + e.state().label() + ":" + e.claimedBy())
                .containsExactly("a@x.example:deferred:null", "b@y.example:in_flight:n1", "c@x.example:queued:null");
        assertThat(admin.list(new Filter("x.example", null, null, 10)).collectList().block(WAIT))
                .extracting(QueueEntry::address).containsExactly("a@x.example", "c@x.example");
        assertThat(admin.list(new Filter(null, "x-site", null, 10)).collectList().block(WAIT))
                .extracting(QueueEntry::address).containsExactly("a@x.example");
        assertThat(admin.list(new Filter(null, null, QueueEntry.State.QUEUED, 10)).collectList().block(WAIT))
                .singleElement().satisfies(e -> {
                    assertThat(e.messageId()).isEqualTo(second.id());
                    assertThat(e.priority()).isEqualTo(Priority.BULK);
                    assertThat(e.reversePath()).isEqualTo("sender@example.org");
                    assertThat(e.attempts()).isZero();
                });
        assertThat(admin.list(new Filter(null, null, QueueEntry.State.DEFERRED, 10)).collectList().block(WAIT))
                .singleElement().satisfies(e -> {
                    assertThat(e.lastReply()).isEqualTo("451 4.7.1 later");
                    assertThat(e.site()).isEqualTo("x-site");
                });
        assertThat(admin.list(new Filter(null, null, null, 2)).collectList().block(WAIT)).hasSize(2);
    }

    @Test
    void showGivesTheMessageWithRecipientsAndEventsAndEventsOnlyOnceItIsGone() {
        IncomingMessage m = stored(Priority.TRANSACTIONAL, ago(3), "a@x.example");
        assertThat(admin.show(MessageId.newId()).blockOptional(WAIT)).isEmpty();
        History h = admin.show(m.id()).block(WAIT);
        assertThat(h.message()).isNotNull();
        assertThat(h.message().reversePath()).isEqualTo("sender@example.org");
        assertThat(h.message().clientAddress()).isEqualTo("192.0.2.1");
        assertThat(h.message().recipients()).extracting(QueueEntry::address).containsExactly("a@x.example");
        assertThat(h.events()).extracting(QueueRecords.Event::kind).containsExactly((int) EventKind.ACCEPTED.code());

        claim(10);
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.DELIVERED, null, "mx", "250 ok")))
                .block(WAIT);
        History gone = admin.show(m.id()).block(WAIT);
        assertThat(gone.message()).isNull();
        assertThat(gone.events()).extracting(e -> EventKind.labelOf(e.kind()) + ":" + e.reply())
                .containsExactly("accepted:null", "delivered:250 ok");
    }

    @Test
    void flushMakesFutureQueuedRecipientsDueWithAnEventEach() {
        IncomingMessage m = stored(Priority.BULK, ago(3), "a@x.example", "b@y.example", "c@x.example");
        claim(10);
        defer(m.id(), 0, "a@x.example", inHours(1), "s");
        defer(m.id(), 1, "b@y.example", inHours(1), "s");
        // c stays in flight: not flushed

        assertThat(admin.flush("x.example", "alice").block(WAIT)).isEqualTo(1L);
        assertThat(rows("SELECT address FROM recipient WHERE state = 0 AND next_attempt_at <= now()"))
                .containsExactly("a@x.example");
        assertThat(admin.flush(null, "bob").block(WAIT)).isEqualTo(1L);
        assertThat(admin.flush(null, "bob").block(WAIT)).isZero();
        assertThat(rows("SELECT recipient, actor, site FROM event WHERE kind = " + EventKind.FLUSHED.code()
                + " ORDER BY id"))
                .containsExactly("a@x.example|alice|s", "b@y.example|bob|s");
        assertThat(claim(10)).singleElement().satisfies(c -> assertThat(c.recipients()).hasSize(2));
    }

    @Test
    void suspendAndResumeAreSharedRowsWithEventsAndResumeReleasesTheSitesRecipients() {
        Instant until = inHours(2);
        Suspension s = admin.suspend("google.com", until, "incident 42", "alice").block(WAIT);
        assertThat(s.until()).isEqualTo(until);
        assertThat(s.createdBy()).isEqualTo("alice");
        admin.suspend("yahoo.com", null, "noisy", "bob").block(WAIT);
        admin.suspend("old.example", Instant.now().minusSeconds(5), "over", "bob").block(WAIT);
        assertThat(admin.suspensions().collectList().block(WAIT)).extracting(Suspension::site)
                .containsExactly("google.com", "yahoo.com");
        // suspending again replaces
        admin.suspend("yahoo.com", until, "still noisy", "carol").block(WAIT);
        assertThat(admin.suspensions().collectList().block(WAIT)).filteredOn(x -> x.site().equals("yahoo.com"))
                .singleElement().satisfies(x -> {
                    assertThat(x.reason()).isEqualTo("still noisy");
                    assertThat(x.until()).isEqualTo(until);
                });

        IncomingMessage m = stored(Priority.BULK, ago(3), "a@gmail.example", "b@other.example");
        claim(10);
        store.record(List.of(
                new RecipientUpdate(m.id(), 0, "a@gmail.example", Kind.HELD, until, null, "held", "google.com"),
                new RecipientUpdate(m.id(), 1, "b@other.example", Kind.DEFERRED, until, "mx", "451", "other")))
                .block(WAIT);

        assertThat(admin.resume("google.com", "dave").block(WAIT)).isEqualTo(new QueueRecords.Resumed(true, 1));
        assertThat(admin.resume("google.com", "dave").block(WAIT)).isEqualTo(new QueueRecords.Resumed(false, 0));
        assertThat(rows("SELECT address FROM recipient WHERE next_attempt_at <= now()"))
                .containsExactly("a@gmail.example");
        assertThat(admin.suspensions().collectList().block(WAIT)).extracting(Suspension::site)
                .containsExactly("yahoo.com");
        short suspended = EventKind.SITE_SUSPENDED.code();
        short resumed = EventKind.SITE_RESUMED.code();
        assertThat(rows("SELECT kind, site, actor, message_id IS NULL FROM event WHERE kind IN (" + suspended + ", "
                + resumed + ") ORDER BY id"))
                .containsExactly(suspended + "|google.com|alice|true", suspended + "|yahoo.com|bob|true",
                        suspended + "|old.example|bob|true", suspended + "|yahoo.com|carol|true",
                        resumed + "|google.com|dave|true");
        assertThat(rows("SELECT reply FROM event WHERE kind = " + suspended + " AND site = 'yahoo.com' ORDER BY id")
                .get(0))
                .isEqualTo("noisy (until resumed)");
    }

    @Test
    void deleteTakesTheQueuedRecipientsAndLeavesThoseInFlightToTheirNode() {
        IncomingMessage m = stored(Priority.BULK, ago(3), "a@x.example", "b@x.example");
        assertThat(claim(1)).singleElement().satisfies(c -> assertThat(c.recipients()).hasSize(1)); // a in flight

        Removal r = admin.delete(m.id(), "alice").block(WAIT);
        assertThat(r.found()).isTrue();
        assertThat(r.removed()).containsExactly("b@x.example");
        assertThat(r.inFlight()).extracting(e -> e.address() + "@" + e.claimedBy()).containsExactly("a@x.example@n1");
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("1");

        Removal again = admin.delete(m.id(), "alice").block(WAIT);
        assertThat(again.removed()).isEmpty();
        assertThat(again.inFlight()).hasSize(1);

        // the node's write-back retires the message as usual
        store.record(List.of(new RecipientUpdate(m.id(), 0, "a@x.example", Kind.DELIVERED, null, "mx", "250")))
                .block(WAIT);
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
        assertThat(admin.delete(m.id(), "alice").block(WAIT).found()).isFalse();
        assertThat(rows("SELECT kind, recipient, actor, reply FROM event WHERE kind <> " + EventKind.ACCEPTED.code()
                + " ORDER BY id")).containsExactly(
                EventKind.ADMIN_DELETED.code() + "|b@x.example|alice|deleted by an operator",
                EventKind.DELIVERED.code() + "|a@x.example|null|250");
    }

    @Test
    void deletingTheLastQueuedRecipientRetiresTheMessage() {
        IncomingMessage m = stored(Priority.BULK, ago(3), "a@x.example", "b@y.example");
        Removal r = admin.delete(m.id(), "alice").block(WAIT);
        assertThat(r.removed()).containsExactly("a@x.example", "b@y.example");
        assertThat(r.inFlight()).isEmpty();
        assertThat(rows("SELECT count(*) FROM message")).containsExactly("0");
        assertThat(store.claimDue("n1", 10).collectList().block(WAIT)).isEmpty();
    }

    @Test
    void bounceRunsTheNoticeBeforeRemovingAndAFailedNoticeChangesNothing() {
        IncomingMessage m = stored(Priority.TRANSACTIONAL, ago(3), "a@x.example", "b@y.example", "c@x.example");
        claim(1); // a in flight

        StepVerifier.create(admin.bounce(m.id(), "alice", "cancelled",
                        (message, content) -> Mono.error(new IllegalStateException("spool down"))))
                .expectError(SpoolUnavailableException.class).verify(WAIT);
        assertThat(rows("SELECT idx FROM recipient ORDER BY idx")).containsExactly("0", "1", "2");
        assertThat(rows("SELECT count(*) FROM event WHERE kind = " + EventKind.ADMIN_BOUNCED.code()))
                .containsExactly("0");

        AtomicReference<ClaimedMessage> noticed = new AtomicReference<>();
        AtomicReference<String> content = new AtomicReference<>();
        Removal r = admin.bounce(m.id(), "alice", "cancelled", (message, bytes) -> Mono.fromRunnable(() -> {
            noticed.set(message);
            content.set(new String(bytes, StandardCharsets.US_ASCII));
        })).block(WAIT);
        assertThat(r.removed()).containsExactly("b@y.example", "c@x.example");
        assertThat(r.inFlight()).extracting(QueueEntry::address).containsExactly("a@x.example");
        assertThat(noticed.get().id()).isEqualTo(m.id());
        assertThat(noticed.get().reversePath()).isEqualTo("sender@example.org");
        assertThat(noticed.get().recipients()).extracting(ClaimedRecipient::address)
                .containsExactly("b@y.example", "c@x.example");
        assertThat(content.get()).isEqualTo("Subject: x\r\n\r\nbody\r\n");
        short bounced = EventKind.ADMIN_BOUNCED.code();
        assertThat(rows("SELECT kind, recipient, actor, reply FROM event WHERE kind = " + bounced + " ORDER BY id"))
                .containsExactly(bounced + "|b@y.example|alice|cancelled", bounced + "|c@x.example|alice|cancelled");
        assertThat(rows("SELECT idx FROM recipient")).containsExactly("0");
    }
}
