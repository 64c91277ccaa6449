package dev.relay.benchmarks;

import dev.relay.storage.Database;
import dev.relay.storage.EmbeddedPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.nio.file.Path;
import java.time.Duration;
import reactor.core.publisher.Flux;

/**
 * Prints the database-wide counters of the embedded PostgreSQL of {@code DATA_DIR} (reused when running, else
 * started and stopped again) as key=value lines: committed transactions and rows inserted, updated and deleted.
 * Two samples around a run give what the relay cost the database per delivered message
 * ({@code one-connection-bench.sh}). The counters are the statistics collector's, kept over a clean restart.
 *
 * <pre>java -cp benchmarks.jar dev.relay.benchmarks.DbStats DATA_DIR</pre>
 */
public final class DbStats {
    private DbStats() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DbStats DATA_DIR");
            System.exit(2);
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(Path.of(args[0]))) {
            ConnectionPool pool = Database.pool(pg.r2dbcUrl(), 1);
            try {
                String line = Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(
                                        "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted"
                                                + " FROM pg_stat_database WHERE datname = current_database()")
                                .execute())
                                .flatMap(r -> r.map((row, m) -> "xact_commit=" + row.get(0, Long.class)
                                        + "\ntup_inserted=" + row.get(1, Long.class)
                                        + "\ntup_updated=" + row.get(2, Long.class)
                                        + "\ntup_deleted=" + row.get(3, Long.class))),
                        c -> c.close())
                        .blockLast(Duration.ofSeconds(30));
                System.out.println(line);
            } finally {
                pool.dispose();
            }
            if (pg.startedHere()) {
                pg.stop();
            }
        }
    }
}
