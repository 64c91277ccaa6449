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
 * What the webhook outbox costs the write path: acceptance (GroupCommitSpool.store, 256 concurrent stores, natural
 * batches) and the write-back (record() batches of 100, 3 in 4 delivered, two in flight), timed A/B in interleaved
 * rounds of one run: the write-back statement without the outbox CTE (as before webhooks), with it and no endpoint,
 * and with one endpoint that wants every event of every sender (the worst case: one outbox row per event). Prints
 * the medians of the paired ratios; asserts only loose bounds (the machine is shared), the figures go to
 * RESULTS.md. {@code -Dwebhookcost.messages=N} changes the size of a round.
 */
class WebhookOutboxCostIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MESSAGES = Integer.getInteger("webhookcost.messages", 2_000);
    private static final int ROUNDS = Integer.getInteger("webhookcost.rounds", 7);
    private static TestDatabase db;
    private static ConnectionPool pool;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("webhook_cost");
        db.migrate().block(WAIT);
        pool = db.pool(4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void theOutboxAddsLittleToTheWritePath() {
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            round(spool, RecordSql.APPLY_WITHOUT_OUTBOX, false); // warm-up: plans, caches
            round(spool, RecordSql.APPLY, true);
            double[][] base = new double[ROUNDS][];
            double[][] none = new double[ROUNDS][];
            double[][] one = new double[ROUNDS][];
            for (int r = 0; r < ROUNDS; r++) {
                // the order rotates, so no variant always runs after the same one (vacuum, cache state)
                for (int v = 0; v < 3; v++) {
                    switch ((r + v) % 3) {
                        case 0 -> base[r] = round(spool, RecordSql.APPLY_WITHOUT_OUTBOX, false);
                        case 1 -> none[r] = round(spool, RecordSql.APPLY, false);
                        default -> one[r] = round(spool, RecordSql.APPLY, true);
                    }
                }
            }
            double recordNone = medianRatio(none, base, 1);
            double recordOne = medianRatio(one, base, 1);
            double storeOne = medianRatio(one, none, 0);
            System.out.printf("webhook outbox, %d messages x %d rounds: write-back median %.1f ms without outbox,"
                    + " %.1f ms no endpoint, %.1f ms one endpoint (paired ratios %.3f, %.3f); acceptance median"
                    + " %.1f ms no endpoint, %.1f ms one endpoint (paired ratio %.3f)%n", MESSAGES, ROUNDS,
                    median(base, 1), median(none, 1), median(one, 1), recordNone, recordOne,
                    median(none, 0), median(one, 0), storeOne);
            assertThat(recordNone).isLessThan(1.3);
            assertThat(recordOne).isLessThan(1.6);
            assertThat(storeOne).isLessThan(1.6);
        }
    }

    private static double medianRatio(double[][] a, double[][] b, int column) {
        double[] pairs = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            pairs[r] = a[r][column] / b[r][column];
        }
        Arrays.sort(pairs);
        return pairs[pairs.length / 2];
    }

    private static double median(double[][] a, int column) {
        double[] v = Arrays.stream(a).mapToDouble(x -> x[column]).sorted().toArray();
        return v[v.length / 2];
    }

    /** Times storing the messages and then recording their outcomes; milliseconds {store, record}. */
    private static double[] round(GroupCommitSpool spool, String applySql, boolean endpoint) {
        TestSql.execute(pool, "DELETE FROM webhook_endpoint" + (endpoint ? "; INSERT INTO webhook_endpoint(sender,"
                + " url, secret, kinds, max_in_flight) VALUES ('*', 'http://127.0.0.1:9/', 's', '{1,2,3,4,5}', 4)"
                : ""));
        List<IncomingMessage> messages = new ArrayList<>(MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
            messages.add(new IncomingMessage(MessageId.newId(), "s@example.org", List.of("r" + i + "@x.example"),
                    "user" + (i % 5), Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), false,
                    false, "192.0.2.1", "c.example",
                    Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII)));
        }
        long start = System.nanoTime();
        Flux.fromIterable(messages).flatMap(spool::store, 256).blockLast(WAIT);
        double storeMs = (System.nanoTime() - start) / 1e6;
        List<RecipientUpdate> updates = new ArrayList<>(MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
            IncomingMessage m = messages.get(i);
            boolean deferred = i % 4 == 3;
            updates.add(new RecipientUpdate(m.id(), 0, m.recipients().get(0), deferred ? Kind.DEFERRED
                    : Kind.DELIVERED, deferred ? Instant.now().plusSeconds(600) : null, "mx.example", "250 ok", null));
        }
        start = System.nanoTime();
        Flux.fromIterable(updates).buffer(100)
                .flatMap(batch -> Database.withConnection(pool, c -> RecordSql.write(c, batch.stream()
                        .map(u -> new RecordSql.Owned(u, null)).toList(), applySql)), 2)
                .blockLast(WAIT);
        double recordMs = (System.nanoTime() - start) / 1e6;
        if (endpoint) {
            assertThat(TestSql.rows(pool, "SELECT count(*) FROM webhook_outbox")).containsExactly(
                    String.valueOf(2 * MESSAGES));
        }
        TestSql.execute(pool, "DELETE FROM webhook_endpoint; DELETE FROM recipient; DELETE FROM message");
        return new double[] {storeMs, recordMs};
    }
}
