package dev.relay.storage;

import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A durable store round trip against the real PostgreSQL: {@code RELAY_TEST_DB_URL} if set, otherwise an embedded
 * server under {@code RELAY_BENCH_PG_DIR} (default {@code benchmarks/target/jmh-postgres}, started and stopped
 * here, fsync on), in a fresh schema dropped afterwards.
 *
 * <p>{@code groupCommit*}: {@link GroupCommitSpool#store} with the relay's default settings (2 committers, batches
 * of up to 100), blocked on until its COMMIT, by 1 and by 16 concurrent callers. {@code perMessage*}: the baseline,
 * the same rows (message, accepted event, one recipient) and the same binary content binding, but one statement
 * per message, autocommitted: its own transaction, one fsync each (PostgreSQL still shares WAL flushes between
 * concurrent commits). One op = one message stored and committed; this is in this package only to bind the content
 * the way the spool does. Throughput mode gives msg/s; sample mode gives the latency percentiles of one store.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SpoolBenchmark {
    private static final int CONCURRENT = 16;
    private static final String INSERT_ONE = "WITH m AS (INSERT INTO message(id, reverse_path, account, priority,"
            + " received_at, size, body_8bit, smtputf8, client_address, helo, content)"
            + " VALUES ($1, $2, NULL, $3, $4, $5, false, false, $6, $7, $8) RETURNING id),"
            + " e AS (INSERT INTO event(message_id, kind) SELECT id, 1 FROM m)"
            + " INSERT INTO recipient(message_id, idx, address, domain, next_attempt_at, priority, state)"
            + " SELECT id, 0, $9, $10, $4, $3, 0 FROM m";

    /** Message content size in bytes. */
    @Param({"2048"})
    public int size;

    private byte[] content;
    private @Nullable EmbeddedPostgres embedded;
    private String serverUrl;
    private String schema;
    private ConnectionPool spoolPool;
    private ConnectionPool naivePool;
    private GroupCommitSpool spool;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        content = new byte[size];
        new Random(42).nextBytes(content);
        String env = System.getenv("RELAY_TEST_DB_URL");
        if (env != null && !env.isBlank()) {
            serverUrl = env;
        } else {
            String dir = System.getenv().getOrDefault("RELAY_BENCH_PG_DIR",
                    Files.isDirectory(Path.of("benchmarks")) ? "benchmarks/target/jmh-postgres" : "target/jmh-postgres");
            embedded = EmbeddedPostgres.start(Path.of(dir));
            serverUrl = embedded.r2dbcUrl();
        }
        schema = "bench_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        ConnectionPool admin = Database.pool(serverUrl, 1);
        try {
            Database.ensureSchema(admin, schema).block(Duration.ofSeconds(30));
        } finally {
            admin.dispose();
        }
        String url = serverUrl + (serverUrl.contains("?") ? "&" : "?") + "schema=" + schema;
        spoolPool = Database.pool(url, 4);
        naivePool = Database.pool(url, CONCURRENT);
        Migrations.apply(spoolPool).block(Duration.ofSeconds(60));
        spool = new GroupCommitSpool(spoolPool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        spool.close();
        spoolPool.dispose();
        naivePool.dispose();
        ConnectionPool admin = Database.pool(serverUrl, 1);
        try {
            Database.withConnection(admin, c -> Flux.from(c.createStatement("DROP SCHEMA " + schema + " CASCADE")
                    .execute()).flatMap(Result::getRowsUpdated).then()).block(Duration.ofSeconds(60));
        } finally {
            admin.dispose();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    private IncomingMessage message() {
        int n = ThreadLocalRandom.current().nextInt(10_000);
        return new IncomingMessage(MessageId.newId(), "sender@example.org", List.of("user" + n + "@domain-" + n
                + ".example.com"), null, Priority.TRANSACTIONAL, Instant.now(), false, false, "127.0.0.1",
                "client.example.org", Unpooled.wrappedBuffer(content));
    }

    @Benchmark
    @Threads(1)
    public void groupCommit1() {
        spool.store(message()).block();
    }

    @Benchmark
    @Threads(CONCURRENT)
    public void groupCommit16() {
        spool.store(message()).block();
    }

    @Benchmark
    @Threads(1)
    public void perMessage1() {
        perMessage(message()).block();
    }

    @Benchmark
    @Threads(CONCURRENT)
    public void perMessage16() {
        perMessage(message()).block();
    }

    private Mono<Long> perMessage(IncomingMessage m) {
        String rcpt = m.recipients().get(0);
        return Mono.usingWhen(naivePool.create(), (Connection c) -> Flux.from(c.createStatement(INSERT_ONE)
                        .bind(0, m.id().uuid()).bind(1, m.reversePath()).bind(2, m.priority().code())
                        .bind(3, m.receivedAt()).bind(4, m.size()).bind(5, m.clientAddress()).bind(6, m.helo())
                        .bind(7, new BinaryContent(m.content())).bind(8, rcpt)
                        .bind(9, IncomingMessage.domainOf(rcpt))
                        .execute()).flatMap(Result::getRowsUpdated).reduce(0L, Long::sum),
                Connection::close)
                .doFinally(signal -> m.content().release());
    }
}
