package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class MigrationsIT {
    private static TestDatabase db;
    private static ConnectionPool pool;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("migrations");
        pool = db.pool(4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void appliesOnceAndIsIdempotentEvenConcurrently() {
        StepVerifier.create(Migrations.apply(pool)).expectNext(5).verifyComplete();
        StepVerifier.create(Flux.merge(Migrations.apply(pool), Migrations.apply(pool), Migrations.apply(pool)))
                .expectNext(5, 5, 5).verifyComplete();

        List<String> rows = Database.withConnection(pool, c -> Flux.from(
                c.createStatement("SELECT version, name FROM schema_version ORDER BY version").execute())
                .flatMap(r -> r.map((row, m) -> row.get(0, Integer.class) + ":" + row.get(1, String.class)))
                .collectList()).block(Duration.ofSeconds(30));
        assertThat(rows).containsExactly("1:spool", "2:delivery", "3:admin", "5:events");

        List<String> tables = Database.withConnection(pool, c -> Flux.from(c.createStatement(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1"
                + " AND table_name NOT LIKE 'event\\_p%' ORDER BY 1")
                .bind(0, db.schema()).execute())
                .flatMap(r -> r.map((row, m) -> row.get(0, String.class))).collectList())
                .block(Duration.ofSeconds(30));
        assertThat(tables).containsExactly("event", "event_default", "event_rollup", "message", "recipient", "relay_node", "schema_version",
                "site_suspension");

        String storage = Database.withConnection(pool, c -> Mono.from(c.createStatement(
                "SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'message'::regclass AND attname = 'content'")
                .execute()).flatMap(r -> Mono.from(r.map((row, m) -> row.get(0, String.class)))))
                .block(Duration.ofSeconds(30));
        assertThat(storage).isEqualTo("e");
    }

    @Test
    void listsMigrationsFromTheIndex() {
        assertThat(Migrations.load()).extracting(Migrations.Migration::version).containsExactly(1, 2, 3, 5);
    }
}
