package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.EventQueries.Count;
import dev.relay.storage.EventQueries.HistoryEvent;
import dev.relay.storage.EventQueries.Interval;
import dev.relay.storage.RecipientUpdate.Kind;
import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** Day partitions of {@code event}, their upkeep, the rollups and the read side, on a real PostgreSQL. */
class EventsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final EventPartitions.Settings KEEP = new EventPartitions.Settings(Duration.ofDays(30),
            Duration.ofDays(400), 7);
    private static TestDatabase db;
    private static ConnectionPool pool;
    private GroupCommitSpool spool;
    private PgDeliveryStore store;
    private EventQueries queries;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("events");
        db.migrate().block(WAIT);
        pool = db.pool(8);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @BeforeEach
    void clean() {
        // back to what the migration left: today and 7 days ahead, nothing else
        TestSql.execute(pool, "DELETE FROM message; DELETE FROM event; DELETE FROM event_rollup;"
                + " DELETE FROM event_rollup_minute");
        partitions(Instant.now()).run().block(WAIT);
        for (String p : TestSql.rows(pool, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = 'event'::regclass AND c.relname LIKE 'event_p%'")) {
            LocalDate day = LocalDate.parse(p.substring(7), java.time.format.DateTimeFormatter.BASIC_ISO_DATE);
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            if (day.isBefore(today) || day.isAfter(today.plusDays(7))) {
                TestSql.execute(pool, "DROP TABLE " + p);
            }
        }
        spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE);
        store = new PgDeliveryStore(pool);
        queries = new EventQueries(pool);
    }

    @AfterEach
    void close() {
        spool.close();
        store.close();
    }

    private static EventPartitions partitions(Instant now) {
        return new EventPartitions(pool, Clock.fixed(now, ZoneOffset.UTC), KEEP);
    }

    private IncomingMessage stored(@Nullable String account, String... recipients) {
        IncomingMessage m = new IncomingMessage(MessageId.newId(), "sender@example.org", List.of(recipients), account,
                Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), true, false, "192.0.2.1",
                "client.example", Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII));
        spool.store(m).block(WAIT);
        return m;
    }

    private static RecipientUpdate update(IncomingMessage m, int index, Kind kind) {
        Instant next = kind == Kind.DEFERRED ? Instant.now().plusSeconds(600) : null;
        return new RecipientUpdate(m.id(), index, m.recipients().get(index), kind, next, "mx.example",
                "250 reply " + kind, null);
    }

    /** sender|kind -> n over every bucket, from the rollups. */
    private Map<String, Long> rollupTotals(@Nullable String sender, Interval by) {
        Map<String, Long> out = new TreeMap<>();
        for (Count c : queries.counts(sender, Instant.now().minus(Duration.ofDays(2)),
                Instant.now().plus(Duration.ofDays(1)), by).collectList().block(WAIT)) {
            out.merge(c.sender() + "|" + EventKind.labelOf(c.kind()), c.n(), Long::sum);
        }
        return out;
    }

    @Test
    void rollupsCountEveryEventWrittenPerSenderAndKindInTheSameTransaction() {
        List<RecipientUpdate> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            IncomingMessage a = stored("alice", "a" + i + "@x.example", "b" + i + "@y.example");
            batch.add(update(a, 0, Kind.DELIVERED));
            batch.add(update(a, 1, i % 4 == 0 ? Kind.BOUNCED : Kind.DEFERRED));
        }
        IncomingMessage b = stored("bob", "c@x.example");
        IncomingMessage anonymous = stored(null, "d@x.example");
        batch.add(update(b, 0, Kind.BOUNCED));
        batch.add(update(anonymous, 0, Kind.DELIVERED));
        // concurrent batches on the same hot rollup rows
        Flux.fromIterable(batch).buffer(7).flatMap(store::record).blockLast(WAIT);

        assertThat(rollupTotals(null, Interval.HOUR)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "alice|accepted", 20L, "alice|delivered", 20L, "alice|deferred", 15L, "alice|bounced", 5L,
                "bob|accepted", 1L, "bob|bounced", 1L, "|accepted", 1L, "|delivered", 1L));
        assertThat(rollupTotals("bob", Interval.DAY)).containsOnlyKeys("bob|accepted", "bob|bounced");
        // the same totals as the event table holds
        List<String> byKind = TestSql.rows(pool, "SELECT kind, count(*) FROM event GROUP BY kind ORDER BY kind");
        List<String> rolled = TestSql.rows(pool, "SELECT kind, sum(n) FROM event_rollup GROUP BY kind ORDER BY kind");
        assertThat(rolled).isEqualTo(byKind);
        // aggregated per batch, not a row per event
        assertThat(Long.parseLong(TestSql.rows(pool, "SELECT count(*) FROM event_rollup").get(0)))
                .isLessThanOrEqualTo(8L * Rollups.SLOTS);
    }

    @Test
    void minuteRollupsCountWhatTheHourlyOnesCountAndGoAfterTheirOwnRetention() {
        List<RecipientUpdate> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            IncomingMessage a = stored("alice", "a" + i + "@x.example");
            batch.add(update(a, 0, i % 5 == 0 ? Kind.BOUNCED : Kind.DELIVERED));
        }
        IncomingMessage b = stored("bob", "c@x.example");
        batch.add(update(b, 0, Kind.DEFERRED));
        Flux.fromIterable(batch).buffer(4).flatMap(store::record).blockLast(WAIT);

        Map<String, Long> hourly = rollupTotals(null, Interval.HOUR);
        assertThat(hourly).containsEntry("alice|delivered", 8L).containsEntry("bob|deferred", 1L);
        assertThat(rollupTotals(null, Interval.MINUTE)).isEqualTo(hourly);
        List<Count> minutes = queries.counts("bob", Instant.now().minus(Duration.ofMinutes(5)), Instant.now()
                .plusSeconds(60), Interval.MINUTE).collectList().block(WAIT);
        assertThat(minutes).isNotEmpty().allSatisfy(c -> {
            assertThat(c.sender()).isEqualTo("bob");
            assertThat(c.bucket()).isEqualTo(c.bucket().truncatedTo(ChronoUnit.MINUTES));
        });

        // the maintenance drops minutes past minute_rollup_retention (48 h) and keeps the hours
        partitions(Instant.now().plus(Duration.ofHours(49))).run().block(WAIT);
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event_rollup_minute")).containsExactly("0");
        assertThat(rollupTotals(null, Interval.HOUR)).isEqualTo(hourly);
    }

    @Test
    void aRecordWrittenTwiceIsCountedOnce() {
        IncomingMessage m = stored("alice", "a@x.example");
        store.record(List.of(update(m, 0, Kind.DELIVERED))).block(WAIT);
        store.record(List.of(update(m, 0, Kind.DELIVERED))).block(WAIT);
        assertThat(rollupTotals("alice", Interval.HOUR)).containsEntry("alice|delivered", 1L);
    }

    @Test
    void createsDaysAheadAndDropsExpiredDaysWhileRollupsStayAnswerable() {
        IncomingMessage m = stored("alice", "a@x.example");
        store.record(List.of(update(m, 0, Kind.BOUNCED))).block(WAIT);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(days()).contains(today, today.plusDays(7));
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event_default")).containsExactly("0");

        Instant later = Instant.now().plus(Duration.ofDays(40));
        EventPartitions.Report report = partitions(later).run().block(WAIT);
        LocalDate laterDay = LocalDate.ofInstant(later, ZoneOffset.UTC);
        assertThat(report.created()).contains(EventPartitions.name(laterDay), EventPartitions.name(laterDay.plusDays(7)));
        assertThat(report.dropped()).contains(EventPartitions.name(today));
        // days created by V5 and V15 and days created since: analysed and vacuumed by a fixed million rows (V15)
        assertThat(TestSql.rows(pool, "SELECT c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), '')"
                + " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event'::regclass"))
                .hasSizeGreaterThan(8)
                .allSatisfy(r -> assertThat(r).contains("autovacuum_analyze_threshold=1000000",
                        "autovacuum_vacuum_insert_threshold=1000000", "autovacuum_analyze_scale_factor=0"));
        assertThat(days()).doesNotContain(today).contains(laterDay, laterDay.plusDays(7))
                .allSatisfy(d -> assertThat(d).isAfterOrEqualTo(laterDay.minusDays(30)));
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event")).containsExactly("0");
        // the statistics of the dropped day still answer, from the rollups
        assertThat(rollupTotals("alice", Interval.DAY)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "alice|accepted", 1L, "alice|bounced", 1L));
        // and an insert for a day without a partition lands in the default partition
        stored("alice", "b@x.example");
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event_default")).containsExactly("1");

        // rollups go after their own retention
        partitions(Instant.now().plus(Duration.ofDays(401))).run().block(WAIT);
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event_rollup")).containsExactly("0");
    }

    @Test
    void concurrentRunsOnSeveralNodesCreateEachDayOnce() {
        Instant later = Instant.now().plus(Duration.ofDays(20));
        List<EventPartitions.Report> reports = Flux.range(0, 4).flatMap(i -> partitions(later).run())
                .collectList().block(WAIT);
        List<String> created = new ArrayList<>();
        reports.forEach(r -> created.addAll(r.created()));
        LocalDate laterDay = LocalDate.ofInstant(later, ZoneOffset.UTC);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i <= 7; i++) {
            expected.add(EventPartitions.name(laterDay.plusDays(i)));
        }
        assertThat(created).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(days()).containsAll(expected.stream().map(n -> LocalDate.parse(n.substring(7),
                java.time.format.DateTimeFormatter.BASIC_ISO_DATE)).toList());
    }

    @Test
    void aDayWithRowsInTheDefaultPartitionIsLeftThere() {
        Instant far = Instant.now().plus(Duration.ofDays(15));
        TestSql.execute(pool, "INSERT INTO event(at, kind) VALUES ('" + far + "', 10)");
        EventPartitions.Report report = partitions(far).run().block(WAIT);
        assertThat(report.created()).doesNotContain(EventPartitions.name(LocalDate.ofInstant(far, ZoneOffset.UTC)))
                .contains(EventPartitions.name(LocalDate.ofInstant(far, ZoneOffset.UTC).plusDays(1)));
        assertThat(TestSql.rows(pool, "SELECT count(*) FROM event_default")).containsExactly("1");
    }

    @Test
    void historyOfAnAddressAcrossMessagesNewestFirstInPages() {
        IncomingMessage first = stored("alice", "Who@x.example", "other@x.example");
        store.record(List.of(update(first, 0, Kind.DEFERRED))).block(WAIT);
        store.record(List.of(update(first, 0, Kind.DELIVERED), update(first, 1, Kind.DELIVERED))).block(WAIT);
        IncomingMessage second = stored("bob", "who@x.example");
        store.record(List.of(update(second, 0, Kind.BOUNCED))).block(WAIT);

        List<HistoryEvent> page1 = queries.ofRecipient("WHO@x.example", null, 2).collectList().block(WAIT);
        assertThat(page1).extracting(e -> e.messageId() + "|" + EventKind.labelOf(e.kind())).containsExactly(
                second.id().uuid() + "|bounced", first.id().uuid() + "|delivered");
        List<HistoryEvent> page2 = queries.ofRecipient("who@x.example", page1.get(1).id(), 2).collectList()
                .block(WAIT);
        assertThat(page2).extracting(e -> EventKind.labelOf(e.kind()) + "|" + e.attempt() + "|" + e.reply())
                .containsExactly("deferred|1|250 reply DEFERRED");
        assertThat(queries.ofMessage(first.id(), null, 10).collectList().block(WAIT))
                .extracting(e -> EventKind.labelOf(e.kind()) + "|" + e.recipient())
                .containsExactly("delivered|other@x.example", "delivered|Who@x.example", "deferred|Who@x.example",
                        "accepted|null");
    }

    @Test
    void historyByTheClientsMessageIdFindsEveryMessageAcceptedWithIt() {
        IncomingMessage order = storedWithMessageId("<order-1@shop.example>", "a@x.example");
        store.record(List.of(update(order, 0, Kind.DELIVERED))).block(WAIT);
        IncomingMessage resent = storedWithMessageId("  <order-1@shop.example>\r\n ", "b@x.example");
        storedWithMessageId("<order-2@shop.example>", "c@x.example");
        stored("alice", "d@x.example");

        for (String key : List.of("<order-1@shop.example>", "order-1@shop.example")) {
            assertThat(queries.ofClientMessageId(key, null, 10).collectList().block(WAIT))
                    .extracting(e -> e.messageId() + "|" + EventKind.labelOf(e.kind()))
                    .containsExactly(resent.id().uuid() + "|accepted", order.id().uuid() + "|delivered",
                            order.id().uuid() + "|accepted");
        }
        assertThat(queries.ofClientMessageId("order-1@shop.example", null, 1).collectList().block(WAIT))
                .hasSize(1);
        assertThat(queries.ofClientMessageId("<nothing@shop.example>", null, 10).collectList().block(WAIT))
                .isEmpty();
        assertThat(queries.ofClientMessageId("<>", null, 10).collectList().block(WAIT)).isEmpty();
        assertThat(TestSql.rows(pool, "SELECT client_message_id FROM event WHERE message_id = '"
                + order.id().uuid() + "' AND kind = " + EventKind.ACCEPTED.code()))
                .containsExactly("order-1@shop.example");
    }

    private IncomingMessage storedWithMessageId(String messageId, String recipient) {
        IncomingMessage m = new IncomingMessage(MessageId.newId(), "sender@example.org", List.of(recipient), "shop",
                Priority.TRANSACTIONAL, Instant.now().truncatedTo(ChronoUnit.MICROS), true, false, "192.0.2.1",
                "client.example", Unpooled.copiedBuffer("Subject: x\r\n\r\nbody\r\n", StandardCharsets.US_ASCII),
                messageId);
        spool.store(m).block(WAIT);
        return m;
    }

    private static List<LocalDate> days() {
        return partitions(Instant.now()).days().collectList().block(WAIT);
    }
}
