package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link PgSuppressions} on a real PostgreSQL. */
class PgSuppressionsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private PgSuppressions list;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("suppressions");
        db.migrate().block(WAIT);
        pool = db.pool(4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestSql.execute(pool, "DELETE FROM suppression; DELETE FROM soft_bounce; DELETE FROM event");
        list = new PgSuppressions(pool);
    }

    private Added add(String scope, String address, Reason reason, @Nullable String detail) {
        return list.add(new Addition(scope, address, reason, null, detail, null, "op")).block(WAIT);
    }

    private List<String> events() {
        return TestSql.rows(pool, "SELECT kind, recipient, actor, reply FROM event ORDER BY id");
    }

    @Test
    void addIsIdempotentAndKeepsTheFirstReasonUnlessTheNewOneIsStronger() {
        Added first = add("alice", "Bob@Example.COM", Reason.HARD_BOUNCE, "550 5.1.1 no such user");
        assertThat(first.change()).isEqualTo(Change.ADDED);
        assertThat(first.entry().address()).isEqualTo("bob@example.com");
        assertThat(first.entry().reason()).isEqualTo(Reason.HARD_BOUNCE);

        Added again = add("alice", "bob@example.com", Reason.HARD_BOUNCE, "again");
        assertThat(again.change()).isEqualTo(Change.UNCHANGED);
        assertThat(again.entry().detail()).isEqualTo("550 5.1.1 no such user");
        Added weaker = add("alice", "bob@example.com", Reason.MANUAL, null);
        assertThat(weaker.change()).isEqualTo(Change.UNCHANGED);
        assertThat(weaker.entry().reason()).isEqualTo(Reason.HARD_BOUNCE);

        Added stronger = add("alice", "bob@example.com", Reason.COMPLAINT, "arf");
        assertThat(stronger.change()).isEqualTo(Change.RAISED);
        assertThat(stronger.entry().reason()).isEqualTo(Reason.COMPLAINT);
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM suppression")).containsExactly("1");
        // one event per change, none for the additions that changed nothing
        assertThat(events()).containsExactly(
                "12|bob@example.com|op|scope alice: hard_bounce: 550 5.1.1 no such user",
                "12|bob@example.com|op|scope alice: complaint: arf");
    }

    @Test
    void anExpiredEntryIsReplacedAndNoLongerSuppresses() {
        list.add(new Addition("alice", "x@example.com", Reason.COMPLAINT, null, null,
                Instant.now().minusSeconds(60), "op")).block(WAIT);
        assertThat(list.lookup("alice", "x@example.com").blockOptional(WAIT)).isEmpty();
        assertThat(add("alice", "x@example.com", Reason.MANUAL, null).change()).isEqualTo(Change.RAISED);
        assertThat(list.lookup("alice", "x@example.com").block(WAIT).reason()).isEqualTo(Reason.MANUAL);
    }

    @Test
    void lookupFindsTheScopesOwnEntryElseTheGlobalOneAndNothingOfOtherScopes() {
        add("alice", "a@example.com", Reason.HARD_BOUNCE, null);
        add("*", "g@example.com", Reason.MANUAL, null);
        add("*", "a@example.com", Reason.MANUAL, null);

        assertThat(list.lookup("alice", "A@example.com").block(WAIT).reason()).isEqualTo(Reason.HARD_BOUNCE);
        assertThat(list.lookup("carol", "a@example.com").block(WAIT).scope()).isEqualTo("*");
        assertThat(list.lookup("carol", "g@example.com").block(WAIT).reason()).isEqualTo(Reason.MANUAL);
        assertThat(list.lookup("bob", "other@example.com").blockOptional(WAIT)).isEmpty();
        add("bob", "b@example.com", Reason.UNSUBSCRIBE, null);
        assertThat(list.lookup("alice", "b@example.com").blockOptional(WAIT)).isEmpty();
        assertThat(list.show("a@example.com").map(Suppression::scope).collectList().block(WAIT))
                .containsExactly("*", "alice");
    }

    @Test
    void removeDeletesOneScopesEntryWithItsEvent() {
        add("alice", "a@example.com", Reason.HARD_BOUNCE, null);
        add("*", "a@example.com", Reason.MANUAL, null);
        assertThat(list.remove("alice", "A@example.com", "ops").block(WAIT)).isTrue();
        assertThat(list.remove("alice", "a@example.com", "ops").block(WAIT)).isFalse();
        assertThat(list.lookup("alice", "a@example.com").block(WAIT).scope()).isEqualTo("*");
        assertThat(events()).last().isEqualTo("13|a@example.com|ops|scope alice: hard_bounce");
    }

    @Test
    void textFieldsAreBoundedAndCleaned() {
        String detail = "550\u0000 bad\r\nline " + "x".repeat(5000);
        Added a = add("alice", "c@example.com", Reason.HARD_BOUNCE, detail);
        assertThat(a.entry().detail()).hasSize(StoredText.MAX_CHARS + 3).startsWith("550  bad  line xxx");
        assertThatThrownBy(() -> add("alice", "a".repeat(320) + "@example.com", Reason.MANUAL, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address must be 1..320");
        assertThatThrownBy(() -> add("alice", "a b@example.com", Reason.MANUAL, null))
                .hasMessageContaining("address must not hold spaces");
        assertThatThrownBy(() -> add("al\u0000ice", "a@example.com", Reason.MANUAL, null))
                .hasMessageContaining("scope must not hold");
        assertThatThrownBy(() -> add("alice", "nodomain", Reason.MANUAL, null))
                .hasMessageContaining("address must be local@domain");
        assertThatThrownBy(() -> list.add(new Addition("alice", "a@example.com", Reason.MANUAL, "Bad Name", null,
                null, "op"))).hasMessageContaining("category must be a name");
        assertThatThrownBy(() -> Reason.parse("bogus")).hasMessageContaining("unknown reason 'bogus'");
    }

    @Test
    void hardBouncesAndComplaintsAddWithTheirReason() {
        assertThat(list.addHardBounce("alice", "d@example.com", "unknown_user", "550 5.1.1 gone").block(WAIT)
                .entry()).extracting(Suppression::reason, Suppression::category, Suppression::createdBy)
                .containsExactly(Reason.HARD_BOUNCE, "unknown_user", "bounce");
        assertThat(list.addComplaint("alice", "d@example.com", "abuse report").block(WAIT).change())
                .isEqualTo(Change.RAISED);
    }

    @Test
    void softBouncesSuppressOnlyWhenEnoughFallWithinTheWindow() {
        SoftBounceRule rule = new SoftBounceRule(3, Duration.ofDays(7));
        assertThat(soft(rule)).extracting(SoftBounceCount::count).isEqualTo(1L);
        // one old soft bounce, outside the window: pruned, not counted
        TestSql.execute(pool, "UPDATE soft_bounce SET at = now() - interval '8 days'");
        assertThat(soft(rule).count()).isEqualTo(1L);
        assertThat(soft(rule).suppressed()).isNull();
        SoftBounceCount third = soft(rule);
        assertThat(third.count()).isEqualTo(3L);
        assertThat(third.suppressed()).isNotNull();
        assertThat(third.suppressed().entry().reason()).isEqualTo(Reason.SOFT_BOUNCES);
        assertThat(third.suppressed().entry().detail()).startsWith("3 soft bounces within PT168H; last: 452 full");
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM soft_bounce")).containsExactly("0");
        assertThat(list.lookup("alice", "s@example.com").block(WAIT).reason()).isEqualTo(Reason.SOFT_BOUNCES);
    }

    private SoftBounceCount soft(SoftBounceRule rule) {
        return list.softBounce("alice", "s@example.com", "mailbox_full", "452 full", rule).block(WAIT);
    }

    @Test
    void listFiltersAndPagesByCursorThroughFiveThousandEntries() {
        // created_at ties on purpose (one INSERT, one now()): the cursor must still be exact
        TestSql.execute(pool, "INSERT INTO suppression(scope, address, reason, created_by, created_at)"
                + " SELECT CASE WHEN i % 5 = 0 THEN '*' ELSE 'alice' END, 'u' || i || '@example.com',"
                + " CASE WHEN i % 2 = 0 THEN 'hard_bounce' ELSE 'manual' END, 'op',"
                + " timestamptz '2026-01-01 00:00:00+00' + (i / 10) * interval '1 second'"
                + " FROM generate_series(1, 5000) i");
        List<Suppression> all = new ArrayList<>();
        Cursor cursor = null;
        int pages = 0;
        do {
            Page page = list.list(new Filter(null, null, null, cursor, 777)).block(WAIT);
            all.addAll(page.items());
            cursor = page.next();
            if (cursor != null) {
                cursor = Cursor.parse(cursor.encode()); // what a client sends back
            }
            pages++;
        } while (cursor != null && pages < 100);
        assertThat(pages).isEqualTo(7);
        assertThat(all).hasSize(5000);
        Set<String> keys = new HashSet<>();
        all.forEach(e -> keys.add(e.scope() + "/" + e.address()));
        assertThat(keys).hasSize(5000);
        for (int i = 1; i < all.size(); i++) {
            Suppression a = all.get(i - 1);
            Suppression b = all.get(i);
            assertThat(a.createdAt()).isBeforeOrEqualTo(b.createdAt());
        }

        Page hard = list.list(new Filter("alice", Reason.HARD_BOUNCE,
                Instant.parse("2026-01-01T00:07:00Z"), null, Filter.MAX_LIMIT)).block(WAIT);
        // i in 4200..5000, even, not a multiple of 5 (those are global): 401 even numbers, 81 multiples of 10
        assertThat(hard.items()).hasSize(320).allMatch(e -> e.scope().equals("alice")
                && e.reason() == Reason.HARD_BOUNCE && !e.createdAt().isBefore(Instant.parse("2026-01-01T00:07:00Z")));
        assertThat(hard.next()).isNull();
        // the plan of a later page starts in the index, not by reading and skipping the earlier rows
        assertThat(String.join("\n", TestSql.rows(pool, "EXPLAIN SELECT scope FROM suppression"
                + " WHERE (created_at, scope, address) > ('2026-01-01 00:05:00+00', 'alice', 'u1@example.com')"
                + " ORDER BY created_at, scope, address LIMIT 100"))).contains("suppression_created");
    }

    @Test
    void exportStreamsEveryMatchingEntryPageByPage() {
        TestSql.execute(pool, "INSERT INTO suppression(scope, address, reason, created_by)"
                + " SELECT 'alice', 'e' || i || '@example.com', 'complaint', 'op' FROM generate_series(1, 2500) i");
        add("bob", "other@example.com", Reason.COMPLAINT, null);
        List<Suppression> exported = list.export(new Filter("alice", Reason.COMPLAINT, null, null, 1))
                .collectList().block(WAIT);
        assertThat(exported).hasSize(2500).allMatch(e -> e.scope().equals("alice"));
        assertThat(exported.stream().map(Suppression::address).distinct().count()).isEqualTo(2500);
    }

    @Test
    void addressesPagesEveryEntryOfEveryScopeAndThoseCreatedSince() {
        // created_at ties across pages on purpose, two scopes, expired entries too (the filter keeps them)
        TestSql.execute(pool, "INSERT INTO suppression(scope, address, reason, created_by, created_at, expires_at)"
                + " SELECT CASE WHEN i % 3 = 0 THEN '*' ELSE 'alice' END, 'a' || i || '@example.com', 'manual', 'op',"
                + " timestamptz '2026-01-01 00:00:00+00' + (i / 1000) * interval '1 second',"
                + " CASE WHEN i % 7 = 0 THEN timestamptz '2026-01-02 00:00:00+00' END"
                + " FROM generate_series(1, 12000) i");
        List<PgSuppressions.AddressPage> pages = list.addresses(null).collectList().block(WAIT);
        assertThat(pages).extracting(p -> p.addresses().size()).containsExactly(5000, 5000, 2000);
        Set<String> all = new HashSet<>();
        pages.forEach(p -> all.addAll(p.addresses()));
        assertThat(all).hasSize(12000);
        assertThat(pages.get(2).last().createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:12Z"));
        assertThat(list.count().block(WAIT)).isEqualTo(12000L);

        // since: strictly after (i / 1000 = 11 and 12: i from 11000 to 12000)
        List<String> since = list.addresses(Instant.parse("2026-01-01T00:00:10Z")).collectList().block(WAIT)
                .stream().flatMap(p -> p.addresses().stream()).toList();
        assertThat(since).hasSize(1001).contains("a12000@example.com").doesNotContain("a10999@example.com");
        TestSql.execute(pool, "DELETE FROM suppression");
        assertThat(list.addresses(null).collectList().block(WAIT)).singleElement()
                .satisfies(p -> assertThat(p.addresses()).isEmpty());
    }

    @Test
    void aCursorFromElsewhereIsRefused() {
        assertThatThrownBy(() -> Cursor.parse("not a cursor")).hasMessageContaining("invalid cursor");
        assertThatThrownBy(() -> new Filter(null, null, null, null, 0)).hasMessageContaining("limit must be");
    }
}
