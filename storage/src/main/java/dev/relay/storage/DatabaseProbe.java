package dev.relay.storage;

import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Answers "can this node reach its database now?" for the readiness endpoint: a pooled connection that answers
 * {@code SELECT 1} within the timeout. Every failure (refused, lost, pool exhausted, too slow) is the answer
 * {@code false}, never an error, and the connection goes back to the pool on every path, a probe given up on after
 * its timeout included. Immutable; the answer arrives on the driver's I/O thread or the timer's.
 */
public final class DatabaseProbe {
    /** Short enough for a load balancer's health check, long enough for a busy but working database. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    private final Statements statements;

    public DatabaseProbe(ConnectionFactory pool, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        this.statements = new Statements(pool, "readiness probe", timeout);
    }

    public DatabaseProbe(ConnectionFactory pool) {
        this(pool, DEFAULT_TIMEOUT);
    }

    /** True when the database answered within the timeout; false otherwise. Never empty, never an error. */
    public Mono<Boolean> reachable() {
        return statements.one(c -> c.createStatement("SELECT 1"), row -> Boolean.TRUE)
                .defaultIfEmpty(false)
                .onErrorReturn(false);
    }
}
