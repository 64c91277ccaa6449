package dev.relay.storage;

import static dev.relay.storage.Statements.bindNullable;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * DKIM keys by domain and selector (schema V7). Immutable and thread-safe; results arrive on the driver's I/O thread.
 * The engine reads {@link #current()} into a snapshot on a timer, so signing never waits on the database.
 */
public final class PgDkimKeys {

    private static final String COLUMNS = "domain, selector, algorithm, private_key, encrypted, public_key,"
            + " active_from, active_until, published_until, created";
    private static final String ADD = "INSERT INTO dkim_key(domain, selector, algorithm, private_key, encrypted,"
            + " public_key, active_from) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (domain, selector) DO NOTHING"
            + " RETURNING " + COLUMNS;
    private static final String LIST = "SELECT " + COLUMNS + " FROM dkim_key WHERE domain = $1"
            + " ORDER BY active_from, selector";
    /** Keys that sign now or will: the snapshot filters by time itself, so a key turns active without a reload. */
    private static final String CURRENT = "SELECT " + COLUMNS + " FROM dkim_key"
            + " WHERE active_until IS NULL OR active_until > now() ORDER BY domain, active_from, selector";
    private static final String RETIRE = "UPDATE dkim_key SET active_until = greatest($3, active_from),"
            + " published_until = greatest($4, $3, active_from) WHERE domain = $1 AND selector = $2"
            + " RETURNING " + COLUMNS;

    private final Statements statements;

    public PgDkimKeys(ConnectionFactory pool) {
        this.statements = new Statements(Objects.requireNonNull(pool, "pool"), "DKIM keys");
    }

    /** A new key (its {@code activeUntil}, {@code publishedUntil} and {@code created} are ignored); empty if the
     * domain already has this selector. */
    public Mono<DkimKeyRecord> add(DkimKeyRecord key) {
        return statements.many(c -> c.createStatement(ADD)
                .bind(0, key.domain().toLowerCase(Locale.ROOT))
                .bind(1, key.selector().toLowerCase(Locale.ROOT))
                .bind(2, key.algorithm())
                .bind(3, ByteBuffer.wrap(key.privateKey()))
                .bind(4, key.encrypted())
                .bind(5, ByteBuffer.wrap(key.publicKey()))
                .bind(6, key.activeFrom().atOffset(ZoneOffset.UTC)), PgDkimKeys::record).next();
    }

    /** Every key of {@code domain}, retired ones too, oldest first. */
    public Flux<DkimKeyRecord> list(String domain) {
        return statements.many(c -> c.createStatement(LIST).bind(0, domain.toLowerCase(Locale.ROOT)),
                PgDkimKeys::record);
    }

    /** Every key not retired yet (active now or later). */
    public Flux<DkimKeyRecord> current() {
        return statements.many(c -> c.createStatement(CURRENT), PgDkimKeys::record);
    }

    /**
     * Stops {@code selector} of {@code domain} signing at {@code at} and records that its DNS record must stay until
     * {@code publishedUntil} (never before {@code at}); empty when there is no such key.
     */
    public Mono<DkimKeyRecord> retire(String domain, String selector, Instant at, @Nullable Instant publishedUntil) {
        return statements.many(c -> bindNullable(c.createStatement(RETIRE)
                .bind(0, domain.toLowerCase(Locale.ROOT))
                .bind(1, selector.toLowerCase(Locale.ROOT))
                .bind(2, at.atOffset(ZoneOffset.UTC)), 3,
                publishedUntil == null ? null : publishedUntil.atOffset(ZoneOffset.UTC), OffsetDateTime.class),
                PgDkimKeys::record).next();
    }

    private static DkimKeyRecord record(Row row) {
        return new DkimKeyRecord(
                Objects.requireNonNull(row.get("domain", String.class)),
                Objects.requireNonNull(row.get("selector", String.class)),
                Objects.requireNonNull(row.get("algorithm", String.class)),
                Statements.bytes(Objects.requireNonNull(row.get("private_key", ByteBuffer.class))),
                Boolean.TRUE.equals(row.get("encrypted", Boolean.class)),
                Statements.bytes(Objects.requireNonNull(row.get("public_key", ByteBuffer.class))),
                instant(Objects.requireNonNull(row.get("active_from", OffsetDateTime.class))),
                nullableInstant(row.get("active_until", OffsetDateTime.class)),
                nullableInstant(row.get("published_until", OffsetDateTime.class)),
                instant(Objects.requireNonNull(row.get("created", OffsetDateTime.class))));
    }

    private static Instant instant(OffsetDateTime t) {
        return t.toInstant();
    }

    private static @Nullable Instant nullableInstant(@Nullable OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
