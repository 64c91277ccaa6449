package dev.relay.storage;

import dev.relay.storage.testing.ScratchDirectories;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.pool.ConnectionPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresIT {

    @Test
    void startsReusesAndRestartsKeepingData() throws Exception {
        Path dir = ScratchDirectories.directory("embedded-postgres-it");
        PgBinaries.deleteTree(dir.resolve("postgres").resolve("pgdata"));

        EmbeddedPostgres first = EmbeddedPostgres.start(dir);
        try {
            assertThat(first.startedHere()).isTrue();
            assertThat(Files.readString(dir.resolve("postgres/port")).trim()).isEqualTo(String.valueOf(first.port()));
            if (EmbeddedPostgres.isRoot()) {
                assertThat(Files.getAttribute(dir.resolve("postgres/password"), "unix:mode"))
                        .isEqualTo(0100600);
            }
            sql(first.r2dbcUrl(), "CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");
            assertThat(settings(first.r2dbcUrl())).as("durability whole, WAL tuned for many small commits")
                    .containsEntry("fsync", "on").containsEntry("synchronous_commit", "on")
                    .containsEntry("wal_buffers", "16MB").containsEntry("max_wal_size", "4GB")
                    .containsEntry("checkpoint_timeout", "15min").containsEntry("wal_compression", "off")
                    // a new WAL segment is not zero-filled (16 MB written and synced while every commit waits)
                    .containsEntry("wal_init_zero", "off")
                    // the queue tables' dead rows looked at every second; reads by key costed as cached reads
                    .containsEntry("autovacuum_naptime", "1s").containsEntry("random_page_cost", "1.1");

            try (EmbeddedPostgres second = EmbeddedPostgres.start(dir)) {
                assertThat(second.startedHere()).isFalse();
                assertThat(second.r2dbcUrl()).isEqualTo(first.r2dbcUrl());
            }
            assertThat(count(first.r2dbcUrl())).isEqualTo(1); // closing the reuser did not stop it
        } finally {
            first.stop();
        }

        // two concurrent starts: the lock lets exactly one of them start the server
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.Callable<EmbeddedPostgres> start = () -> EmbeddedPostgres.start(dir);
            java.util.List<java.util.concurrent.Future<EmbeddedPostgres>> started = pool.invokeAll(java.util.List.of(start, start));
            EmbeddedPostgres a = started.get(0).get();
            EmbeddedPostgres b = started.get(1).get();
            assertThat(a.startedHere() ^ b.startedHere()).isTrue();
            assertThat(a.port()).isEqualTo(first.port()).isEqualTo(b.port());
            assertThat(count(a.r2dbcUrl())).isEqualTo(1);
            a.close();
            b.close();
        } finally {
            pool.shutdownNow();
        }
    }

    private static void sql(String url, String sql) {
        ConnectionPool pool = Database.pool(url, 1);
        try {
            Database.withConnection(pool, c -> Database.execute(c, sql)).block(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }

    private static java.util.Map<String, String> settings(String url) {
        ConnectionPool pool = Database.pool(url, 1);
        try {
            return Database.withConnection(pool, c -> reactor.core.publisher.Flux.from(c.createStatement(
                            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('fsync',"
                                    + " 'synchronous_commit', 'wal_buffers', 'max_wal_size', 'checkpoint_timeout',"
                                    + " 'wal_compression', 'wal_init_zero', 'autovacuum_naptime', 'random_page_cost')")
                            .execute())
                    .flatMap(r -> r.map((row, m) -> java.util.Map.entry(row.get(0, String.class),
                            row.get(1, String.class))))
                    .collectMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue))
                    .block(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }

    private static long count(String url) {
        ConnectionPool pool = Database.pool(url, 1);
        try {
            return Database.withConnection(pool, c -> reactor.core.publisher.Mono.from(
                    c.createStatement("SELECT count(*) FROM kept WHERE x = 42").execute())
                    .flatMap(r -> reactor.core.publisher.Mono.from(r.map((row, m) -> row.get(0, Long.class)))))
                    .block(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }
}
