package dev.relay.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Applies the classpath migrations {@code db/migration/V<n>__<name>.sql} listed in
 * {@code db/migration/index.txt}, in order, each in its own transaction under
 * {@code pg_advisory_xact_lock} so concurrent nodes do not race; records them in {@code schema_version}.
 */
public final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    private static final String DIR = "db/migration/";
    private static final Pattern NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");
    /** Arbitrary constant key for the advisory lock ("relaymig"). */
    private static final long LOCK_KEY = 0x72656c61796d6967L;

    private Migrations() {}

    record Migration(int version, String name, String sql) {}

    /** Applies missing migrations; emits the current schema version. */
    public static Mono<Integer> apply(ConnectionFactory cf) {
        return apply(cf, Integer.MAX_VALUE);
    }

    /** Applies the missing migrations up to version {@code upTo} (tests of a migration on an older schema). */
    static Mono<Integer> apply(ConnectionFactory cf, int upTo) {
        // Read here, on the caller's thread, not at subscription: a retry re-subscribes on a timer thread, where
        // reading class path files is a blocking call.
        List<Migration> all = load().stream().filter(m -> m.version() <= upTo).toList();
        return Database.withConnection(cf, c ->
                locked(c, () -> Database.execute(c, "CREATE TABLE IF NOT EXISTS schema_version(version int primary key,"
                        + " name text not null, applied_at timestamptz not null default now())").thenReturn(0))
                        .thenMany(Flux.fromIterable(all).concatMap(m -> applyOne(c, m)))
                        .then(currentVersion(c)));
    }

    private static Mono<Integer> applyOne(Connection c, Migration m) {
        return locked(c, () -> currentVersions(c).flatMap(done -> {
            if (done.contains(m.version())) {
                return Mono.just(0);
            }
            return Database.execute(c, m.sql())
                    .then(Statements.rowsUpdated(c.createStatement("INSERT INTO schema_version(version, name)"
                            + " VALUES ($1, $2)").bind(0, m.version()).bind(1, m.name())).then())
                    .doOnSuccess(v -> log.info("applied migration V{}__{}", m.version(), m.name()))
                    .thenReturn(1);
        }));
    }

    private static Mono<Integer> locked(Connection c, java.util.function.Supplier<Mono<Integer>> work) {
        return Database.inTransaction(c, tx -> Statements.rows(
                tx.createStatement("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")"), row -> 1).then(Mono.defer(work)));
    }

    private static Mono<List<Integer>> currentVersions(Connection c) {
        return Statements.rows(c.createStatement("SELECT version FROM schema_version"), Migrations::version)
                .collectList();
    }

    private static Mono<Integer> currentVersion(Connection c) {
        return Statements.rows(c.createStatement("SELECT coalesce(max(version), 0) FROM schema_version"),
                Migrations::version).next();
    }

    private static Integer version(Row row) {
        return Objects.requireNonNull(row.get(0, Integer.class), "version");
    }

    static List<Migration> load() {
        String index = read(DIR + "index.txt");
        List<Migration> out = new ArrayList<>();
        for (String line : index.split("\n")) {
            String file = line.trim();
            if (file.isEmpty() || file.startsWith("#")) {
                continue;
            }
            Matcher m = NAME.matcher(file);
            if (!m.matches()) {
                throw new IllegalStateException("bad migration file name in index.txt: " + file);
            }
            out.add(new Migration(Integer.parseInt(m.group(1)), m.group(2), read(DIR + file)));
        }
        out.sort(Comparator.comparingInt(Migration::version));
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).version() == out.get(i - 1).version()) {
                throw new IllegalStateException("duplicate migration version " + out.get(i).version());
            }
        }
        return List.copyOf(out);
    }

    private static String read(String resource) {
        try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
