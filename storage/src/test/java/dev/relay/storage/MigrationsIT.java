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

    /**
     * The relay retries {@code apply} at start while the database is not reachable yet; Retry re-subscribes on a
     * timer thread, where reading the migration files from the class path would be a blocking call (BlockHound,
     * installed for every test, turns it into an error that hid the real one). The files are read once, when
     * {@code apply} is called, so every attempt fails for the database's reason.
     */
    @Test
    void retriesAfterAnUnreachableDatabaseFailForTheDatabaseReasonNotABlockingRead() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        ConnectionPool unreachable = Database.pool("r2dbc:postgresql://relay:secret@127.0.0.1:" + closedPort
                + "/postgres", 1);
        try {
            StepVerifier.create(Migrations.apply(unreachable)
                            .retryWhen(reactor.util.retry.Retry.fixedDelay(2, Duration.ofMillis(50))))
                    .expectErrorSatisfies(e -> {
                        Throwable cause = e;
                        while (cause.getCause() != null && cause.getCause() != cause) {
                            assertThat(cause).isNotInstanceOf(reactor.blockhound.BlockingOperationError.class);
                            cause = cause.getCause();
                        }
                        assertThat(cause).isNotInstanceOf(reactor.blockhound.BlockingOperationError.class);
                        assertThat(e.getMessage()).contains("Retries exhausted: 2/2");
                    })
                    .verify(Duration.ofSeconds(30));
        } finally {
            unreachable.dispose();
        }
    }

    @Test
    void appliesOnceAndIsIdempotentEvenConcurrently() {
        StepVerifier.create(Migrations.apply(pool)).expectNext(15).verifyComplete();
        StepVerifier.create(Flux.merge(Migrations.apply(pool), Migrations.apply(pool), Migrations.apply(pool)))
                .expectNext(15, 15, 15).verifyComplete();

        List<String> rows = Database.withConnection(pool, c -> Flux.from(
                c.createStatement("SELECT version, name FROM schema_version ORDER BY version").execute())
                .flatMap(r -> r.map((row, m) -> row.get(0, Integer.class) + ":" + row.get(1, String.class)))
                .collectList()).block(Duration.ofSeconds(30));
        assertThat(rows).containsExactly("1:spool", "2:delivery", "3:admin", "4:suppression", "5:events",
                "6:systems", "7:dkim", "8:webhooks", "9:bounce_intake", "10:client_message_id",
                "11:system_verp", "12:event_sender", "13:queue_vacuum", "14:message_inline",
                "15:event_partition_autovacuum");

        List<String> tables = Database.withConnection(pool, c -> Flux.from(c.createStatement(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1"
                + " AND table_name NOT LIKE 'event\\_p%' ORDER BY 1")
                .bind(0, db.schema()).execute())
                .flatMap(r -> r.map((row, m) -> row.get(0, String.class))).collectList())
                .block(Duration.ofSeconds(30));
        assertThat(tables).containsExactly("bounce_kept", "credential", "dkim_key", "event", "event_default",
                "event_rollup", "event_rollup_minute", "message", "recipient", "relay_node", "schema_version",
                "sending_domain", "site_suspension", "soft_bounce", "suppression", "system", "webhook_endpoint", "webhook_outbox");

        String storage = Database.withConnection(pool, c -> Mono.from(c.createStatement(
                "SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'message'::regclass AND attname = 'content'")
                .execute()).flatMap(r -> Mono.from(r.map((row, m) -> row.get(0, String.class)))))
                .block(Duration.ofSeconds(30));
        assertThat(storage).isEqualTo("e");

        // V13: the queue tables vacuumed by a fixed count of dead rows, not by a share of their (tiny) live count,
        // and never truncated (an ACCESS EXCLUSIVE lock on the tables every acceptance and delivery writes)
        assertThat(TestSql.rows(pool, "SELECT c.relname || ' ' || array_to_string(c.reloptions, ',') FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
                + " AND c.relname IN ('message', 'recipient') ORDER BY 1"))
                .allSatisfy(r -> assertThat(r).contains("autovacuum_vacuum_scale_factor=0",
                        "autovacuum_vacuum_threshold=2000", "autovacuum_vacuum_cost_delay=0",
                        "vacuum_truncate=false"))
                .hasSize(2);
    }

    @Test
    void version5MovesExistingEventsIntoDayPartitionsAndCountsThem() {
        try (TestDatabase old = TestDatabase.create("migrations_v5")) {
            ConnectionPool p = old.pool(2);
            StepVerifier.create(Migrations.apply(p, 3)).expectNext(3).verifyComplete();
            TestSql.execute(p, "INSERT INTO message(id, reverse_path, account, priority, received_at, size, body_8bit,"
                    + " smtputf8, client_address, helo, content) VALUES ('00000000-0000-0000-0000-000000000001', 's@x',"
                    + " 'shop', 0, now(), 1, false, false, '192.0.2.1', 'h', '\\x00');"
                    + "INSERT INTO event(at, message_id, kind) VALUES"
                    + " ('2026-01-02T10:15:00Z', '00000000-0000-0000-0000-000000000001', 1),"
                    + " ('2026-01-02T10:45:00Z', '00000000-0000-0000-0000-000000000002', 2),"
                    + " ('2026-01-03T23:59:59Z', '00000000-0000-0000-0000-000000000002', 4);"
                    + "INSERT INTO event(kind, site, actor) VALUES (10, 'x.test', 'ops')");
            StepVerifier.create(Migrations.apply(p, 5)).expectNext(5).verifyComplete();
            assertThat(TestSql.rows(p, "SELECT tableoid::regclass::text, kind FROM event ORDER BY id")).containsExactly(
                    "event_p20260102|1", "event_p20260102|2", "event_p20260103|4",
                    "event_p" + java.time.LocalDate.now(java.time.ZoneOffset.UTC).format(
                            java.time.format.DateTimeFormatter.BASIC_ISO_DATE) + "|10");
            assertThat(TestSql.rows(p, "SELECT sender, hour, kind, n FROM event_rollup ORDER BY hour, kind"))
                    .extracting(r -> r.replaceAll("\\|20\\d\\d-[^|]*\\|", "|"))
                    .containsExactly("shop|1|1", "|2|1", "|4|1");
            // new events continue the ids
            TestSql.execute(p, "INSERT INTO event(kind) VALUES (11)");
            assertThat(TestSql.rows(p, "SELECT max(id) FROM event WHERE kind = 11").get(0))
                    .isEqualTo(TestSql.rows(p, "SELECT max(id) FROM event").get(0));
        }
    }

    @Test
    void listsMigrationsFromTheIndex() {
        assertThat(Migrations.load()).extracting(Migrations.Migration::version)
                .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }

    @Test
    void version9AddsTheClassificationColumnsToEveryPartitionExistingOrNot() {
        try (TestDatabase old = TestDatabase.create("migrations_v9")) {
            ConnectionPool p = old.pool(2);
            StepVerifier.create(Migrations.apply(p, 5)).expectNext(5).verifyComplete();
            TestSql.execute(p, "INSERT INTO event(at, kind, recipient) VALUES ('2026-01-02T10:15:00Z', 4, 'a@x.test')");
            StepVerifier.create(Migrations.apply(p, 9)).expectNext(9).verifyComplete();
            assertThat(TestSql.rows(p, "SELECT recipient || '|' || coalesce(category, '-') || '|'"
                    + " || coalesce(bounce_class, '-') || '|' || coalesce(recipient_idx::text, '-') || '|'"
                    + " || coalesce(sender, '-') FROM event_default")).containsExactly("a@x.test|-|-|-|-");
            TestSql.execute(p, "UPDATE event SET category = 'unknown_user', bounce_class = 'hard', recipient_idx = 3,"
                    + " sender = 'shop'");
            assertThat(TestSql.rows(p, "SELECT category || bounce_class || recipient_idx || sender FROM event"))
                    .containsExactly("unknown_userhard3shop");
            TestSql.execute(p, "INSERT INTO bounce_kept(reason, client_address, content) VALUES ('r', '192.0.2.1',"
                    + " '\\x00')");
            assertThat(TestSql.rows(p, "SELECT reason FROM bounce_kept")).containsExactly("r");
        }
    }

    @Test
    void version10AddsTheClientMessageIdColumnAndItsIndexToEveryPartitionExistingOrNot() {
        try (TestDatabase old = TestDatabase.create("migrations_v10")) {
            ConnectionPool p = old.pool(2);
            StepVerifier.create(Migrations.apply(p, 9)).expectNext(9).verifyComplete();
            TestSql.execute(p, "INSERT INTO event(at, kind) VALUES ('2026-01-02T10:15:00Z', 1), (now(), 1)");
            StepVerifier.create(Migrations.apply(p, 10)).expectNext(10).verifyComplete();
            assertThat(TestSql.rows(p, "SELECT count(*) FROM event WHERE client_message_id IS NULL"))
                    .containsExactly("2");
            TestSql.execute(p, "UPDATE event SET client_message_id = 'a@b'");
            assertThat(TestSql.rows(p, "SELECT tableoid::regclass::text LIKE 'event_%' FROM event"
                    + " WHERE client_message_id = 'a@b'")).containsExactly("true", "true");
            assertThat(TestSql.rows(p, "SELECT to_regclass('event_client_message_id') IS NOT NULL"))
                    .containsExactly("true");
        }
    }

    @Test
    void version12NamesTheSenderOnTheAcceptedEventsOfQueuedMessages() {
        try (TestDatabase old = TestDatabase.create("migrations_v12")) {
            ConnectionPool p = old.pool(2);
            StepVerifier.create(Migrations.apply(p, 10)).expectNext(10).verifyComplete();
            TestSql.execute(p, "INSERT INTO message(id, reverse_path, account, priority, received_at, size, body_8bit,"
                    + " smtputf8, client_address, helo, content) VALUES ('00000000-0000-0000-0000-000000000001', 's@x',"
                    + " 'shop', 0, now(), 1, false, false, '192.0.2.1', 'h', '\\x00'),"
                    + " ('00000000-0000-0000-0000-000000000002', 's@x', NULL, 0, now(), 1, false, false, '192.0.2.1',"
                    + " 'h', '\\x00');"
                    + "INSERT INTO event(message_id, kind) VALUES ('00000000-0000-0000-0000-000000000001', 1),"
                    + " ('00000000-0000-0000-0000-000000000001', 2), ('00000000-0000-0000-0000-000000000002', 1),"
                    + " ('00000000-0000-0000-0000-000000000003', 1)");
            StepVerifier.create(Migrations.apply(p)).expectNext(15).verifyComplete();
            assertThat(TestSql.rows(p, "SELECT right(message_id::text, 1) || '|' || kind || '|'"
                    + " || coalesce(sender, '-') FROM event ORDER BY id")).containsExactly("1|1|shop", "1|2|-", "2|1|",
                    "3|1|-");
        }
    }
}
