package dev.relay.engine.config;

import dev.relay.storage.GroupCommitSettings;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code database}: an R2DBC URL ({@code r2dbc:postgresql://...}; null: embedded PostgreSQL in the data
 * directory), the connection pool size, the number of group-commit connections, their maximum batch and the
 * shortest interval between one connection's commits while messages keep arriving from several sessions.
 */
public record DatabaseConfig(@Nullable String url, int poolSize, int committers, int maxBatch,
                             Duration commitInterval) {
    public DatabaseConfig {
        if (url != null && !url.startsWith("r2dbc:")) {
            throw new ConfigException("database.url", "(hidden)", "must be an R2DBC URL starting with r2dbc:");
        }
        Limits.check("database.pool_size", poolSize, 1, 1000);
        Limits.check("database.committers", committers, 1, 64);
        Limits.check("database.max_batch", maxBatch, 1, GroupCommitSettings.MAX_BATCH_LIMIT);
        Objects.requireNonNull(commitInterval, "commitInterval");
        if (commitInterval.isNegative() || commitInterval.compareTo(GroupCommitSettings.MAX_INTERVAL) > 0) {
            throw new ConfigException("database.commit_interval", commitInterval.toMillis() + "ms",
                    "must be between 0ms and " + GroupCommitSettings.MAX_INTERVAL.toMillis() + "ms");
        }
        if (committers > poolSize) {
            throw new ConfigException("database.committers", String.valueOf(committers),
                    "must not exceed database.pool_size (" + poolSize + ")");
        }
    }

    public static DatabaseConfig defaults() {
        return new DatabaseConfig(null, 20, 1, 100, Duration.ofMillis(2));
    }

    @Override
    public String toString() {
        // the URL may carry a password
        return "DatabaseConfig[url=" + (url == null ? "embedded" : "(set)") + ", poolSize=" + poolSize
                + ", committers=" + committers + ", maxBatch=" + maxBatch + ", commitInterval=" + commitInterval + "]";
    }
}
