package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.RecipientUpdate.Kind;
import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * What the webhook outbox costs the write path, A/B on one database in one run. Variants: no outbox CTE in the
 * write-back (as before webhooks), the outbox with no active endpoint, one endpoint for one sender of five (default
 * kinds), and one endpoint for every event of every sender (the worst case: one outbox row per event). The variants
 * take turns batch by batch (acceptance: 100 concurrent stores, group-committed; write-back: one record() of 100
 * updates, 3 in 4 delivered), the order rotating, so a burst of load on the shared machine hits all of them alike;
 * the endpoint switch between batches is untimed. Prints the median batch time per variant and its ratio to the
 * first; asserts only loose bounds, the figures go to RESULTS.md. {@code -Dwebhookcost.batches=N} (default 40).
 */
class WebhookOutboxCostIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int BATCHES = Integer.getInteger("webhookcost.batches", 40);
    private static final int BATCH = 100;
    private static final String[] NAMES = {"no outbox CTE / no endpoint", "outbox, no endpoint",
        "one endpoint, one sender of five", "one endpoint, every event"};
    private static TestDatabase db;
    private static ConnectionPool pool;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("webhook_cost");
        db.migrate().block(WAIT);
        pool = db.pool(4);
        TestSql.execute(pool, "INSERT INTO webhook_endpoint(sender, kinds, url, secret, max_in_flight, active)"
                + " VALUES ('user0', '{1,2,3,4,5}', 'http://127.0.0.1:9/', 's', 4, false),"
                + " ('*', '{1,2,3,4,5}', 'http://127.0.0.1:9/', 's', 4, false)");
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void theOutboxAddsLittleToTheWritePath() {
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            for (int warm = 0; warm < 4; warm++) {
                batch(spool, warm % 4, new double[4][1], new double[4][1], 0);
            }
            double[][] store = new double[4][BATCHES];
            double[][] record = new double[4][BATCHES];
            for (int b = 0; b < BATCHES; b++) {
                for (int v = 0; v < 4; v++) {
                    batch(spool, (b + v) % 4, store, record, b);
                }
            }
            StringBuilder out = new StringBuilder("webhook outbox cost, " + BATCHES + " batches of " + BATCH
                    + " per variant, median ms (ratio to the first):\n");
            for (int v = 0; v < 4; v++) {
                out.append(String.format("  %-34s acceptance %6.2f (%.3f)   write-back %6.2f (%.3f)%n", NAMES[v],
                        median(store[v]), median(store[v]) / median(store[0]), median(record[v]),
                        median(record[v]) / median(record[0])));
            }
            System.out.print(out);
            assertThat(median(record[1]) / median(record[0])).isLessThan(1.3);
            assertThat(median(record[3]) / median(record[0])).isLessThan(1.8);
            assertThat(median(store[3]) / median(store[0])).isLessThan(1.8);
        }
        assertThat(TestSql.rows(pool, "SELECT count(*) > 0 FROM webhook_outbox")).containsExactly("true");
    }

    /** One acceptance batch and one write-back batch of variant {@code v}, timed into column {@code b}. */
    private static void batch(GroupCommitSpool spool, int v, double[][] store, double[][] record, int b) {
        TestSql.execute(pool, "UPDATE webhook_endpoint SET active = " + switch (v) {
            case 2 -> "(sender = 'user0')";
            case 3 -> "(sender = '*')";
            default -> "false";
        });
        List<IncomingMessage> messages = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            messages.add(new IncomingMessage(MessageId.newId(), "s@example.org", List.of("r" + i + "@x.example"),
                    "user" + (i % 5), Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), false,
                    false, "192.0.2.1", "c.example",
                    Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII)));
        }
        long start = System.nanoTime();
        Flux.fromIterable(messages).flatMap(spool::store, BATCH).blockLast(WAIT);
        store[v][b] = (System.nanoTime() - start) / 1e6;
        List<RecordSql.Owned> updates = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            IncomingMessage m = messages.get(i);
            boolean deferred = i % 4 == 3;
            updates.add(new RecordSql.Owned(new RecipientUpdate(m.id(), 0, m.recipients().get(0), deferred
                    ? Kind.DEFERRED : Kind.DELIVERED, deferred ? Instant.now().plusSeconds(600) : null, "mx.example",
                    "250 ok", null), null));
        }
        String sql = v == 0 ? RecordSql.APPLY_WITHOUT_OUTBOX : RecordSql.APPLY;
        start = System.nanoTime();
        Database.withConnection(pool, c -> RecordSql.write(c, updates, sql)).block(WAIT);
        record[v][b] = (System.nanoTime() - start) / 1e6;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
