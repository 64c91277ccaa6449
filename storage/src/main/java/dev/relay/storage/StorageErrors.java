package dev.relay.storage;

import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientException;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The one place that decides whether a storage failure is worth retrying. Transient: the database or the way to it
 * is away or busy (connection lost or refused, timeouts, pool exhausted, serialization failure or deadlock, admin
 * shutdown, out of resources); the same write can succeed later. Permanent: the write itself is wrong (data
 * exceptions such as a NUL in text, constraint violations, syntax, permissions, a bug that threw before the write);
 * retrying it can only fail again, so callers must not loop on it. The group commit and the write-back both use it,
 * and every store maps its failures to {@link SpoolUnavailableException} through {@link #unavailable}.
 *
 * <p>An error from the server is judged by its SQLSTATE class, whatever exception type the driver chose for it
 * (r2dbc-postgresql reports 22021, a data exception, as a "bad grammar" exception). Wrappers
 * ({@link SpoolUnavailableException}) are looked through.
 */
public final class StorageErrors {
    /**
     * SQLSTATE classes of transient server errors: 08 connection exception, 40 transaction rollback (serialization
     * failure, deadlock), 53 insufficient resources, 57 operator intervention (admin shutdown, query cancelled,
     * cannot connect now), 58 system error.
     */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53", "57", "58");
    /** Single transient codes in otherwise permanent classes: lock not available, read-only (failover underway). */
    private static final Set<String> TRANSIENT_CODES = Set.of("55P03", "25006");
    private static final String UNIQUE_VIOLATION = "23505";

    private StorageErrors() {}

    /** True when retrying the same write later can succeed; false for a write that can never succeed. */
    public static boolean isTransient(Throwable error) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable e = error; e != null && seen.add(e); e = e.getCause()) {
            String state = sqlState(e);
            if (state != null) {
                return TRANSIENT_CLASSES.contains(state.substring(0, 2)) || TRANSIENT_CODES.contains(state);
            }
            if (e instanceof R2dbcTransientException || e instanceof R2dbcNonTransientResourceException
                    || e instanceof TimeoutException || e instanceof IOException
                    || e instanceof io.r2dbc.pool.ConnectionPoolException) {
                // (the pool's acquire timeout is a TimeoutException)
                return true;
            }
            if (e instanceof SpoolUnavailableException && e.getCause() == null) {
                return true; // our own: queue full, store closed
            }
        }
        return false;
    }

    /**
     * {@code error} as the {@link SpoolUnavailableException} every store's callers see: itself when it already is
     * one, else wrapped with what failed ({@code "delivery store failed: "} and the cause's message).
     */
    public static SpoolUnavailableException unavailable(String failedPrefix, Throwable error) {
        return error instanceof SpoolUnavailableException s ? s
                : new SpoolUnavailableException(failedPrefix + error.getMessage(), error);
    }

    /** The server refused a duplicate key: for idempotent inserts, the row is already there. */
    public static boolean isUniqueViolation(Throwable error) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable e = error; e != null && seen.add(e); e = e.getCause()) {
            if (UNIQUE_VIOLATION.equals(sqlState(e))) {
                return true;
            }
        }
        return false;
    }

    /** The SQLSTATE of the first server error in the chain, for logs and metrics; null when there is none. */
    public static @Nullable String sqlStateOf(Throwable error) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable e = error; e != null && seen.add(e); e = e.getCause()) {
            String state = sqlState(e);
            if (state != null) {
                return state;
            }
        }
        return null;
    }

    private static @Nullable String sqlState(Throwable e) {
        if (e instanceof R2dbcException r) {
            String state = r.getSqlState();
            if (state != null && state.length() == 5) {
                return state;
            }
        }
        return null;
    }
}
