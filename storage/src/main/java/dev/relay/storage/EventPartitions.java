package dev.relay.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Upkeep of the day partitions of {@code event} (UTC days, named {@code event_pYYYYMMDD}) and of the rollups: creates
 * the days from today to {@code ahead} days on, drops the days that ended before now minus {@code retention}, deletes
 * rows older than that from the default partition, rollup hours older than {@code rollupRetention} and rollup
 * minutes older than {@code minuteRollupRetention} (both counted in {@code rollupRowsDeleted}).
 *
 * <p>One run is one transaction under {@code pg_advisory_xact_lock}, so nodes running it at the same moment do it one
 * after the other, the later finding nothing left to do. Creating and dropping a partition lock the whole event
 * table, and while such a lock request waits every event writer queues behind it; {@code lock_timeout} (1 s) bounds
 * that stall: a run that cannot get its locks fails and the next run tries again (days are created well ahead). A day that already has rows in the default partition (the
 * relay was down while its clock passed it) is not created: attaching it would fail; its rows age out of the
 * default partition instead. Immutable; "now" comes from the injected clock so tests can move it.
 */
public final class EventPartitions {
    /** Arbitrary constant key for the advisory lock ("relayevp"). */
    private static final long LOCK_KEY = 0x72656c6179657670L;
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final String PREFIX = "event_p";
    /**
     * Autovacuum of a day partition by a fixed million rows (V15): the default, a share of the rows, analysed a new
     * partition every few seconds under load (a 30,000-row sample sorted per column each time).
     */
    static final String STORAGE = " WITH (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000000,"
            + " autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000000)";

    private final Statements statements;
    private final Clock clock;
    private final Settings settings;

    /** What to keep; validated where it is configured (events section). */
    public record Settings(Duration retention, Duration rollupRetention, int daysAhead,
                           Duration minuteRollupRetention) {
        /** The minute rollup's default: two days. */
        public static final Duration MINUTE_ROLLUP_RETENTION = Duration.ofHours(48);

        public Settings(Duration retention, Duration rollupRetention, int daysAhead) {
            this(retention, rollupRetention, daysAhead, MINUTE_ROLLUP_RETENTION);
        }

        public Settings {
            Objects.requireNonNull(retention, "retention");
            Objects.requireNonNull(rollupRetention, "rollupRetention");
            Objects.requireNonNull(minuteRollupRetention, "minuteRollupRetention");
            if (minuteRollupRetention.compareTo(Duration.ofHours(1)) < 0
                    || minuteRollupRetention.compareTo(rollupRetention) > 0) {
                throw new IllegalArgumentException("minuteRollupRetention must be from 1h to rollupRetention, was "
                        + minuteRollupRetention);
            }
            if (retention.compareTo(Duration.ofDays(1)) < 0) {
                throw new IllegalArgumentException("retention must be at least 1 day, was " + retention);
            }
            if (rollupRetention.compareTo(retention) < 0) {
                throw new IllegalArgumentException("rollupRetention must be at least retention, was " + rollupRetention);
            }
            if (daysAhead < 1 || daysAhead > 60) {
                throw new IllegalArgumentException("daysAhead must be 1..60, was " + daysAhead);
            }
        }
    }

    /** What one run did. */
    public record Report(List<String> created, List<String> dropped, long defaultRowsDeleted, long rollupRowsDeleted) {
        public Report {
            created = List.copyOf(created);
            dropped = List.copyOf(dropped);
        }
    }

    public EventPartitions(ConnectionFactory pool, Clock clock, Settings settings) {
        this.statements = new Statements(pool, "event partitions", Duration.ofMinutes(2));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** One maintenance run. */
    public Mono<Report> run() {
        Instant now = clock.instant();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Instant cutoff = now.minus(settings.retention());
        Instant rollupCutoff = now.minus(settings.rollupRetention());
        Instant minuteCutoff = now.minus(settings.minuteRollupRetention());
        return statements.withConnection(c -> Database.inTransaction(c, tx -> Database.execute(tx,
                        "SELECT pg_advisory_xact_lock(" + LOCK_KEY + "); SET LOCAL lock_timeout = '1s'")
                .then(existing(tx))
                .flatMap(days -> {
                    List<String> created = new ArrayList<>();
                    List<String> dropped = new ArrayList<>();
                    Mono<Void> work = Mono.empty();
                    for (int i = 0; i <= settings.daysAhead(); i++) {
                        LocalDate d = today.plusDays(i);
                        if (!days.contains(d)) {
                            work = work.then(create(tx, d, created));
                        }
                    }
                    for (LocalDate d : days) {
                        if (!start(d.plusDays(1)).isAfter(cutoff)) {
                            String name = name(d);
                            work = work.then(Database.execute(tx, "DROP TABLE " + name))
                                    .doOnSuccess(v -> dropped.add(name));
                        }
                    }
                    return work.then(Statements.rowsUpdated(tx.createStatement(
                                    "DELETE FROM event_default WHERE at < $1").bind(0, cutoff)))
                            .flatMap(defaults -> Statements.rowsUpdated(tx.createStatement(
                                    "DELETE FROM event_rollup WHERE hour < $1").bind(0, rollupCutoff))
                                    .flatMap(hours -> Statements.rowsUpdated(tx.createStatement(
                                            "DELETE FROM event_rollup_minute WHERE minute < $1")
                                            .bind(0, minuteCutoff)).map(minutes -> hours + minutes))
                                    .map(rollups -> new Report(created, dropped, defaults, rollups)));
                })), Duration.ofMinutes(2));
    }

    /** The day partitions there are now, oldest first. */
    private static Mono<TreeSet<LocalDate>> existing(Connection c) {
        return Statements.rows(c.createStatement("SELECT ch.relname::text FROM pg_inherits i"
                        + " JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = 'event'::regclass"),
                row -> Objects.requireNonNull(row.get(0, String.class), "relname"))
                .filter(n -> n.startsWith(PREFIX) && n.length() == PREFIX.length() + 8)
                .map(n -> LocalDate.parse(n.substring(PREFIX.length()), DAY))
                .collect(TreeSet::new, Set::add);
    }

    private static Mono<Void> create(Connection c, LocalDate d, List<String> created) {
        Instant from = start(d);
        Instant to = start(d.plusDays(1));
        return Statements.rows(c.createStatement("SELECT EXISTS (SELECT 1 FROM event_default WHERE at >= $1"
                                + " AND at < $2)").bind(0, from).bind(1, to),
                        row -> Objects.requireNonNull(row.get(0, Boolean.class), "exists"))
                .next()
                .flatMap(occupied -> occupied ? Mono.<Void>empty() : Database.execute(c, "CREATE TABLE " + name(d)
                                + " PARTITION OF event FOR VALUES FROM ('" + from + "') TO ('" + to + "')" + STORAGE)
                        .doOnSuccess(v -> created.add(name(d))));
    }

    static String name(LocalDate day) {
        return PREFIX + DAY.format(day);
    }

    private static Instant start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** Days present now (for tests and the admin view). */
    public Flux<LocalDate> days() {
        return statements.withConnection(c -> existing(c), Duration.ofSeconds(30)).flatMapIterable(s -> s);
    }
}
