package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract of {@link PgDkimKeys} on a real PostgreSQL. */
class PgDkimKeysIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private PgDkimKeys keys;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("dkim_keys");
        db.migrate().block(WAIT);
        pool = db.pool(2);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestSql.execute(pool, "DELETE FROM dkim_key");
        keys = new PgDkimKeys(pool);
    }

    private static DkimKeyRecord key(String domain, String selector, Instant from) {
        return new DkimKeyRecord(domain, selector, "ed25519-sha256", new byte[] {1, 2, 3}, true, new byte[] {4, 5},
                from, null, null, Instant.EPOCH);
    }

    @Test
    void addsListsAndRefusesADuplicateSelector() {
        Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        DkimKeyRecord added = keys.add(key("Shop.Example", "S1", from)).block(WAIT);
        assertThat(added).isNotNull();
        assertThat(added.domain()).isEqualTo("shop.example");
        assertThat(added.selector()).isEqualTo("s1");
        assertThat(added.privateKey()).containsExactly(1, 2, 3);
        assertThat(added.publicKey()).containsExactly(4, 5);
        assertThat(added.encrypted()).isTrue();
        assertThat(added.activeFrom()).isEqualTo(from);
        assertThat(added.activeUntil()).isNull();
        assertThat(keys.add(key("shop.example", "s1", from)).blockOptional(WAIT)).isEmpty();
        keys.add(key("shop.example", "s2", from.plusSeconds(60))).block(WAIT);
        keys.add(key("other.example", "s1", from)).block(WAIT);
        assertThat(keys.list("shop.example").map(DkimKeyRecord::selector).collectList().block(WAIT))
                .containsExactly("s1", "s2");
    }

    @Test
    void retiringStopsAKeyAtATimeAndKeepsItPublishedUntilAnother() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        keys.add(key("shop.example", "old", now.minusSeconds(3600))).block(WAIT);
        keys.add(key("shop.example", "new", now)).block(WAIT);
        DkimKeyRecord retired = keys.retire("shop.example", "old", now.plusSeconds(600), now.plusSeconds(86_400))
                .block(WAIT);
        assertThat(retired).isNotNull();
        assertThat(retired.activeUntil()).isEqualTo(now.plusSeconds(600));
        assertThat(retired.publishedUntil()).isEqualTo(now.plusSeconds(86_400));
        assertThat(retired.activeAt(now)).isTrue();
        assertThat(retired.activeAt(now.plusSeconds(600))).isFalse();
        // still signing for ten minutes: still current
        assertThat(keys.current().map(DkimKeyRecord::selector).collectList().block(WAIT))
                .containsExactlyInAnyOrder("old", "new");

        keys.retire("shop.example", "old", now.minusSeconds(1), null).block(WAIT);
        List<DkimKeyRecord> current = keys.current().collectList().block(WAIT);
        assertThat(current).extracting(DkimKeyRecord::selector).containsExactly("new");
        DkimKeyRecord old = keys.list("shop.example").filter(k -> k.selector().equals("old")).blockFirst(WAIT);
        assertThat(old.publishedUntil()).isEqualTo(now.minusSeconds(1));
        assertThat(keys.retire("shop.example", "missing", now, null).blockOptional(WAIT)).isEmpty();
    }
}
