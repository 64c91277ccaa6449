package dev.relay.storage;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * Connection pools from R2DBC URLs. An optional {@code schema} query option
 * ({@code r2dbc:postgresql://u:p@host:port/db?schema=t_abc}) sets the search_path of every connection
 * (r2dbc-postgresql's {@code schema} option). Connect and acquire time out after 5 s so an outage
 * fails fast. Each connection keeps the statements it has prepared in an LRU of
 * {@value #PREPARED_STATEMENT_CACHE} (r2dbc-postgresql's {@code preparedStatementCacheQueries}; a URL may set its
 * own): the fixed texts of the hot path (claim, write-back, content reads) are parsed and planned by the server once
 * per connection, while the group commit's texts, which differ with the batch's shape, are closed on the server
 * when they fall out (the driver's default, an unbounded cache, never closes them).
 */
public final class Database {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    static final int PREPARED_STATEMENT_CACHE = 256;
    private static final io.r2dbc.spi.Option<Integer> STATEMENT_CACHE_OPTION =
            PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES;

    private Database() {}

    public static ConnectionPool pool(String r2dbcUrl, int maxSize) {
        return pool(r2dbcUrl, maxSize, null);
    }

    /** As above, the driver's connections running on {@code loops} (null: the driver's own, Reactor Netty's global). */
    public static ConnectionPool pool(String r2dbcUrl, int maxSize, @Nullable LoopResources loops) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be >= 1, was " + maxSize);
        }
        ConnectionFactoryOptions options = options(r2dbcUrl);
        Object schema = options.getValue(io.r2dbc.spi.Option.valueOf("schema"));
        if (schema != null) {
            requireIdentifier(schema.toString());
        }
        if (loops != null) {
            options = options.mutate().option(PostgresqlConnectionFactoryProvider.LOOP_RESOURCES, loops).build();
        }
        ConnectionFactory factory = ConnectionFactories.get(options);
        return new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .name("relay-" + System.identityHashCode(factory))
                .initialSize(0)
                .maxSize(maxSize)
                .maxIdleTime(Duration.ofMinutes(5))
                .maxAcquireTime(ACQUIRE_TIMEOUT)
                .maxCreateConnectionTime(CONNECT_TIMEOUT)
                // LOCAL: a connection whose socket is closed (server restart, network cut) is discarded on
                // acquire without the extra round trip a REMOTE check costs on every group commit.
                .validationDepth(ValidationDepth.LOCAL)
                .build());
    }

    /** The URL's options with the connect timeout and, unless the URL sets one, the statement cache size. */
    static ConnectionFactoryOptions options(String r2dbcUrl) {
        ConnectionFactoryOptions parsed = ConnectionFactoryOptions.parse(r2dbcUrl);
        ConnectionFactoryOptions.Builder builder = parsed.mutate()
                .option(ConnectionFactoryOptions.CONNECT_TIMEOUT, CONNECT_TIMEOUT);
        if (!parsed.hasOption(STATEMENT_CACHE_OPTION)) {
            builder.option(STATEMENT_CACHE_OPTION, PREPARED_STATEMENT_CACHE);
        }
        return builder.build();
    }

    /** {@code CREATE SCHEMA IF NOT EXISTS schema}; the name must be a plain lower-case identifier. */
    public static Mono<Void> ensureSchema(ConnectionFactory admin, String schema) {
        requireIdentifier(schema);
        return withConnection(admin, c -> execute(c, "CREATE SCHEMA IF NOT EXISTS " + schema));
    }

    static String requireIdentifier(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain lower-case SQL identifier: " + name);
        }
        return name;
    }

    static <T> Mono<T> withConnection(ConnectionFactory cf, Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(cf.create(), work, Connection::close, (c, err) -> c.close(), Connection::close);
    }

    /** Runs {@code work} in a transaction: commit on success, rollback (then the original error) on failure. */
    static <T> Mono<T> inTransaction(Connection c, Function<Connection, Mono<T>> work) {
        return Mono.from(c.beginTransaction())
                .then(Mono.defer(() -> work.apply(c)))
                .flatMap(v -> Mono.from(c.commitTransaction()).thenReturn(v))
                .switchIfEmpty(Mono.defer(() -> Mono.from(c.commitTransaction()).then(Mono.empty())))
                .onErrorResume(e -> Mono.from(c.rollbackTransaction()).onErrorResume(r -> {
                    e.addSuppressed(r);
                    return Mono.empty();
                }).then(Mono.error(e)));
    }

    /** Executes SQL without parameters (simple protocol, may hold several statements). */
    static Mono<Void> execute(Connection c, String sql) {
        return Statements.rowsUpdated(c.createStatement(sql)).then();
    }
}
