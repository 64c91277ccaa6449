package dev.relay.storage;

import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;

/** Plain SQL for contract tests: set up rows behind the store's back and read back what it wrote. */
final class TestSql {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestSql() {
    }

    /** Runs {@code sql} (one or more statements) and waits for it. */
    static void execute(ConnectionFactory pool, String sql) {
        Database.withConnection(pool, c -> Database.execute(c, sql)).block(WAIT);
    }

    /** The rows {@code sql} returns, each as its columns joined by "|" (SQL NULL as "null"). */
    static List<String> rows(ConnectionFactory pool, String sql) {
        return Database.withConnection(pool, c -> Flux.from(c.createStatement(sql).execute())
                .concatMap(r -> r.map((row, meta) -> {
                    StringBuilder b = new StringBuilder();
                    for (int i = 0; i < meta.getColumnMetadatas().size(); i++) {
                        b.append(i == 0 ? "" : "|").append(row.get(i, Object.class));
                    }
                    return b.toString();
                })).collectList()).block(WAIT);
    }
}
