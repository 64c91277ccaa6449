package dev.relay.engine.config;

import org.jspecify.annotations.Nullable;

/**
 * {@code database}: an R2DBC URL ({@code r2dbc:postgresql://...}; null: embedded PostgreSQL in the data
 * directory), the connection pool size, the number of group-commit connections and their maximum batch.
 */
public record DatabaseConfig(@Nullable String url, int poolSize, int committers, int maxBatch) {
    public DatabaseConfig {
        if (url != null && !url.startsWith("r2dbc:")) {
            throw new ConfigException("database.url", "(hidden)", "must be an R2DBC URL starting with r2dbc:");
        }
        Limits.check("database.pool_size", poolSize, 1, 1000);
        Limits.check("database.committers", committers, 1, 64);
        Limits.check("database.max_batch", maxBatch, 1, 100_000);
        if (committers > poolSize) {
            throw new ConfigException("database.committers", String.valueOf(committers),
                    "must not exceed database.pool_size (" + poolSize + ")");
        }
    }

    public static DatabaseConfig defaults() {
        return new DatabaseConfig(null, 20, 2, 100);
    }

    @Override
    public String toString() {
        // the URL may carry a password
        return "DatabaseConfig[url=" + (url == null ? "embedded" : "(set)") + ", poolSize=" + poolSize
                + ", committers=" + committers + ", maxBatch=" + maxBatch + "]";
    }
}
