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
 * What the rollup upkeep costs the write-back: the same record() batches (100 updates, 3 in 4 delivered, the rest
 * deferred, two batches in flight like two committers) timed without rollups, with the hourly one only and with the
 * hourly and the minute one (what ships), rounds interleaved in
 * one run so the load of a shared machine affects both alike. Prints the medians; asserts only a loose bound, the
 * measured ratio goes to RESULTS.md.
 */
class RollupCostIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MESSAGES = 2_000;
    private static final int ROUNDS = 9;
    private static TestDatabase db;
    private static ConnectionPool pool;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("rollup_cost");
        db.migrate().block(WAIT);
        pool = db.pool(4);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void rollupsAddLittleToTheWriteBack() {
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            round(spool, RecordSql.APPLY); // warm-up: plans, caches
            round(spool, RecordSql.APPLY_WITHOUT_MINUTES);
            round(spool, RecordSql.APPLY_WITHOUT_ROLLUPS);
            double[] with = new double[ROUNDS];
            double[] hourly = new double[ROUNDS];
            double[] without = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                without[r] = round(spool, RecordSql.APPLY_WITHOUT_ROLLUPS);
                hourly[r] = round(spool, RecordSql.APPLY_WITHOUT_MINUTES);
                with[r] = round(spool, RecordSql.APPLY);
            }
            // the ratio of each adjacent pair, so a burst of load from elsewhere skews one pair, not the median
            double[] pairs = new double[ROUNDS];
            double[] minutePairs = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                pairs[r] = with[r] / without[r];
                minutePairs[r] = with[r] / hourly[r];
            }
            Arrays.sort(pairs);
            Arrays.sort(minutePairs);
            Arrays.sort(with);
            Arrays.sort(hourly);
            Arrays.sort(without);
            double ratio = pairs[ROUNDS / 2];
            System.out.printf("record() %d updates: median %.1f ms without rollups, %.1f ms hourly only, %.1f ms"
                    + " hourly + minute; median paired ratio all/none %.3f (min %.3f, max %.3f), hourly+minute/hourly"
                    + " %.3f (min %.3f, max %.3f)%n", MESSAGES, without[ROUNDS / 2], hourly[ROUNDS / 2],
                    with[ROUNDS / 2], ratio, pairs[0], pairs[ROUNDS - 1], minutePairs[ROUNDS / 2], minutePairs[0],
                    minutePairs[ROUNDS - 1]);
            assertThat(ratio).isLessThan(1.5);
        }
    }

    /** Stores the messages (untimed), then times recording their outcomes; milliseconds. */
    private static double round(GroupCommitSpool spool, String applySql) {
        List<RecipientUpdate> updates = new ArrayList<>(MESSAGES);
        List<IncomingMessage> messages = new ArrayList<>(MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
            messages.add(new IncomingMessage(MessageId.newId(), "s@example.org", List.of("r" + i + "@x.example"),
                    "user" + (i % 5), Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), false,
                    false, "192.0.2.1", "c.example",
                    Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII)));
        }
        Flux.fromIterable(messages).flatMap(spool::store, 256).blockLast(WAIT);
        for (int i = 0; i < MESSAGES; i++) {
            IncomingMessage m = messages.get(i);
            boolean deferred = i % 4 == 3;
            updates.add(new RecipientUpdate(m.id(), 0, m.recipients().get(0), deferred ? Kind.DEFERRED
                    : Kind.DELIVERED, deferred ? Instant.now().plusSeconds(600) : null, "mx.example", "250 ok", null));
        }
        long start = System.nanoTime();
        Flux.fromIterable(updates).buffer(100)
                .flatMap(batch -> Database.withConnection(pool, c -> RecordSql.write(c, owned(batch), applySql)), Integer.getInteger("rollupcost.concurrency", 2))
                .blockLast(WAIT);
        double ms = (System.nanoTime() - start) / 1e6;
        TestSql.execute(pool, "DELETE FROM message");
        return ms;
    }

    private static List<RecordSql.Owned> owned(List<RecipientUpdate> batch) {
        return batch.stream().map(u -> new RecordSql.Owned(u, null)).toList();
    }
}
