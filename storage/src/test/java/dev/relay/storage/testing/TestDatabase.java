package dev.relay.storage.testing;

import dev.relay.storage.Database;
import dev.relay.storage.EmbeddedPostgres;
import dev.relay.storage.Migrations;
import io.r2dbc.pool.ConnectionPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * A fresh schema per test class on the test server: {@code RELAY_TEST_DB_URL} if set, otherwise one
 * embedded PostgreSQL per JVM at {@code <project-root>/target/test-postgres} (stopped at JVM exit
 * if this JVM started it).
 */
public final class TestDatabase implements AutoCloseable {
    private static @Nullable String sharedUrl;

    private final String baseUrl;
    private final String schema;
    private final List<ConnectionPool> pools = new CopyOnWriteArrayList<>();

    private TestDatabase(String baseUrl, String schema) {
        this.baseUrl = baseUrl;
        this.schema = schema;
    }

    public static TestDatabase create(String label) {
        String base = serverUrl();
        String clean = label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.length() > 40) {
            clean = clean.substring(0, 40);
        }
        String schema = "t_" + clean + "_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        TestDatabase db = new TestDatabase(base, schema);
        ConnectionPool admin = Database.pool(base, 1);
        try {
            Database.ensureSchema(admin, schema).block(Duration.ofSeconds(30));
        } finally {
            admin.dispose();
        }
        return db;
    }

    /** The URL of the server without a schema (the public schema). */
    public static synchronized String serverUrl() {
        if (sharedUrl != null) {
            return sharedUrl;
        }
        String env = System.getenv("RELAY_TEST_DB_URL");
        if (env != null && !env.isBlank()) {
            sharedUrl = env;
            return env;
        }
        EmbeddedPostgres pg = EmbeddedPostgres.start(ScratchDirectories.directory("test-postgres"));
        if (pg.startedHere()) {
            Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "test-postgres-stop"));
        }
        sharedUrl = pg.r2dbcUrl();
        return sharedUrl;
    }

    static Path projectRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".git"))) {
                return p;
            }
        }
        Path top = null;
        for (Path p = start; p != null; p = p.getParent()) {
            Path pom = p.resolve("pom.xml");
            try {
                if (Files.exists(pom) && Files.readString(pom).contains("<modules>")) {
                    top = p;
                }
            } catch (java.io.IOException ignored) {
                // keep walking
            }
        }
        return top != null ? top : start;
    }

    public String schema() {
        return schema;
    }

    /** The server URL with {@code ?schema=} this test's schema. */
    public String url() {
        return withSchema(baseUrl, schema);
    }

    static String withSchema(String url, String schema) {
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema;
    }

    public ConnectionPool pool(int max) {
        ConnectionPool pool = Database.pool(url(), max);
        pools.add(pool);
        return pool;
    }

    /** The first column of every row of {@code sql}, as text ("null" for SQL NULL), on a connection of its own. */
    public List<String> rows(String sql) {
        ConnectionPool pool = Database.pool(url(), 1);
        try {
            return reactor.core.publisher.Flux.usingWhen(pool.create(),
                            c -> reactor.core.publisher.Flux.from(c.createStatement(sql).execute())
                                    .flatMap(r -> r.map((row, meta) -> String.valueOf(row.get(0)))),
                            io.r2dbc.spi.Connection::close)
                    .collectList()
                    .block(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }

    public Mono<Void> migrate() {
        return Mono.usingWhen(Mono.fromSupplier(() -> Database.pool(url(), 1)),
                pool -> Migrations.apply(pool).then(), ConnectionPool::disposeLater);
    }

    /** Drops the schema and disposes the pools made here. */
    @Override
    public void close() {
        pools.forEach(ConnectionPool::dispose);
        pools.clear();
        ConnectionPool admin = Database.pool(baseUrl, 1);
        try {
            Mono.usingWhen(admin.create(),
                    c -> Mono.from(c.createStatement("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute())
                            .flatMap(r -> Mono.from(r.getRowsUpdated())).then(),
                    io.r2dbc.spi.Connection::close).block(Duration.ofSeconds(30));
        } finally {
            admin.dispose();
        }
    }
}
