package dev.relay.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The statement plumbing the stores share, so each store holds only its SQL and its row mappers: a pooled
 * connection per call, given back on completion, error and cancel; one upper bound per call (acquire included), so
 * a hung connection cannot hold a caller forever; every failure mapped once, by {@link StorageErrors#unavailable},
 * to {@link SpoolUnavailableException} named after the store. Immutable; results arrive on the driver's I/O thread.
 */
final class Statements {
    /** Upper bound on one statement (or one unit of work) of a store, unless the store says otherwise. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionFactory pool;
    private final String failedPrefix;
    private final Duration timeout;

    /** @param store what the errors are named after, e.g. {@code "delivery store"} */
    Statements(ConnectionFactory pool, String store, Duration timeout) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.failedPrefix = Objects.requireNonNull(store, "store") + " failed: ";
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
    }

    Statements(ConnectionFactory pool, String store) {
        this(pool, store, TIMEOUT);
    }

    /** Every row, mapped; the connection goes back to the pool when the rows are consumed or the caller stops. */
    <T> Flux<T> many(Function<Connection, Statement> statement, Function<Row, T> mapper) {
        return Flux.usingWhen(pool.create(), c -> rows(statement.apply(c), mapper), Connection::close)
                .timeout(timeout)
                .onErrorMap(this::unavailable);
    }

    /** The first row's value; empty when there is no row or the value is SQL NULL. */
    <T> Mono<T> one(Function<Connection, Statement> statement, Function<Row, @Nullable T> value) {
        return Database.withConnection(pool, c -> rows(statement.apply(c), row -> Optional.ofNullable(value.apply(row)))
                        .next()
                        .flatMap(Mono::justOrEmpty))
                .timeout(timeout)
                .onErrorMap(this::unavailable);
    }

    /** How many rows the statement changed. */
    Mono<Long> update(Function<Connection, Statement> statement) {
        return Database.withConnection(pool, c -> rowsUpdated(statement.apply(c)))
                .timeout(timeout)
                .onErrorMap(this::unavailable);
    }

    /** Several statements on one connection (a transaction, a read of several tables), bounded by {@code limit}. */
    <T> Mono<T> withConnection(Function<Connection, Mono<T>> work, Duration limit) {
        return Database.withConnection(pool, work)
                .timeout(limit)
                .onErrorMap(this::unavailable);
    }

    /**
     * The rows of {@code s}, mapped inside the driver's callback (a {@link Row} is valid only there). Executed on
     * subscription, not before, so a statement composed into a transaction runs inside it.
     */
    static <T> Flux<T> rows(Statement s, Function<Row, T> mapper) {
        return Flux.defer(() -> Flux.from(s.execute())).concatMap(r -> r.map((row, meta) -> mapper.apply(row)));
    }

    /** How many rows {@code s} changed; executed on subscription, like {@link #rows}. */
    static Mono<Long> rowsUpdated(Statement s) {
        return Flux.defer(() -> Flux.from(s.execute())).flatMap(Result::getRowsUpdated).reduce(0L, Long::sum);
    }

    /** Binds {@code value}, or SQL NULL of {@code type} when it is null (the driver needs the type for a null). */
    static <T> Statement bindNullable(Statement s, int index, @Nullable T value, Class<T> type) {
        if (value == null) {
            s.bindNull(index, type);
        } else {
            s.bind(index, value);
        }
        return s;
    }

    /** The remaining bytes of a {@code bytea} value, copied (the driver's buffer is valid only in the mapper). */
    static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private Throwable unavailable(Throwable e) {
        return StorageErrors.unavailable(failedPrefix, e);
    }
}
