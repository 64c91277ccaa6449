package dev.relay.benchmarks;

import dev.relay.storage.Database;
import dev.relay.storage.EmbeddedPostgres;
import dev.relay.storage.Migrations;
import io.r2dbc.pool.ConnectionPool;
import java.nio.file.Path;
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Fills a relay's spool with a backlog for {@code backlog-bench.sh}: N queued messages of about SIZE bytes, one
 * recipient each, spread round-robin over D domains ({@code userK@dJ.test}), with Message-IDs
 * {@code <K.RUNID@bench.load>} so the harness's counting sink finds losses and duplicates exactly. Rows are
 * written by SQL in slices of 50,000 (generate_series), since going through SMTP would measure acceptance, not
 * the backlog. Starts the embedded PostgreSQL of {@code DATA_DIR} (or reuses a running one) and applies the
 * migrations the relay would.
 *
 * <pre>java -cp benchmarks.jar dev.relay.benchmarks.BacklogLoader DATA_DIR RUN_ID MESSAGES DOMAINS SIZE</pre>
 */
public final class BacklogLoader {
    private static final int SLICE = 50_000;

    private BacklogLoader() {
    }

    public static void main(String[] args) {
        if (args.length != 5) {
            System.err.println("usage: BacklogLoader DATA_DIR RUN_ID MESSAGES DOMAINS SIZE");
            System.exit(2);
        }
        Path dataDir = Path.of(args[0]);
        String runId = args[1];
        int messages = Integer.parseInt(args[2]);
        int domains = Integer.parseInt(args[3]);
        int size = Integer.parseInt(args[4]);
        if (!runId.matches("[A-Za-z0-9]+") || messages < 1 || domains < 1 || size < 200) {
            System.err.println("RUN_ID must be alphanumeric, MESSAGES and DOMAINS >= 1, SIZE >= 200");
            System.exit(2);
        }
        // body: lines of 76 x's; the header section is about 150 bytes
        int bodyLines = Math.max(1, (size - 150) / 78);
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            ConnectionPool pool = Database.pool(pg.r2dbcUrl(), 2);
            try {
                Migrations.apply(pool).block(Duration.ofMinutes(2));
                long started = System.nanoTime();
                for (int from = 0; from < messages; from += SLICE) {
                    int to = Math.min(messages, from + SLICE) - 1;
                    insert(pool, runId, from, to, domains, bodyLines);
                    System.out.printf("loaded %d/%d messages%n", to + 1, messages);
                }
                System.out.printf("loaded=%d domains=%d size=%d seconds=%.1f%n", messages, domains,
                        150 + bodyLines * 78, (System.nanoTime() - started) / 1e9);
            } finally {
                pool.dispose();
            }
            if (pg.startedHere()) {
                pg.stop();
            }
        }
    }

    private static void insert(ConnectionPool pool, String runId, int from, int to, int domains, int bodyLines) {
        // md5(run || k)::uuid links both statements without a round trip for ids
        String messages = """
                INSERT INTO message (id, reverse_path, account, priority, received_at, size, body_8bit, smtputf8,
                                     client_address, helo, content)
                SELECT md5('%1$s' || k)::uuid, 'backlog@bench.load', NULL, 1, now(), length(c), false, false,
                       '127.0.0.1', 'bench.load', c
                FROM (SELECT k, convert_to(
                        'Message-ID: <' || k || '.%1$s@bench.load>' || E'\\r\\n' ||
                        'From: <backlog@bench.load>' || E'\\r\\n' ||
                        'To: <user' || k || '@d' || (k %% %2$d) || '.test>' || E'\\r\\n' ||
                        'Subject: backlog ' || k || E'\\r\\n\\r\\n' ||
                        repeat(repeat('x', 76) || E'\\r\\n', %3$d), 'UTF8') AS c
                      FROM generate_series(%4$d, %5$d) AS k) AS g
                """.formatted(runId, domains, bodyLines, from, to);
        String recipients = """
                INSERT INTO recipient (message_id, idx, address, domain, state, next_attempt_at, priority)
                SELECT md5('%1$s' || k)::uuid, 0, 'user' || k || '@d' || (k %% %2$d) || '.test',
                       'd' || (k %% %2$d) || '.test', 0, now(), 1
                FROM generate_series(%3$d, %4$d) AS k
                """.formatted(runId, domains, from, to);
        Mono.usingWhen(pool.create(),
                        c -> Flux.from(c.createStatement(messages).execute()).flatMap(r -> r.getRowsUpdated())
                                .thenMany(Flux.from(c.createStatement(recipients).execute())
                                        .flatMap(r -> r.getRowsUpdated()))
                                .then(),
                        c -> c.close())
                .block(Duration.ofMinutes(10));
    }
}
