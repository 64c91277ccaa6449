package dev.relay.storage;

import java.time.Duration;
import java.util.Objects;

/**
 * Group commit tuning: {@code committers} concurrent transactions, at most {@code maxBatch} messages each, at most
 * {@code queueCapacity} messages waiting. While messages keep arriving from several sessions, a committer starts at
 * most one commit per {@code interval} (zero: at once), so that at moderate rates a transaction carries several
 * messages instead of one; a lone sender is never held (see {@link NaturalBatcher.Pace#whileGathering}).
 */
public record GroupCommitSettings(int committers, int maxBatch, int queueCapacity, Duration interval) {
    /**
     * Every member of a commit waits for all of it: 5000 messages of 2 KiB are about a quarter of a second of
     * PostgreSQL's time (issue 14's measurements, 0.05 ms per message in the statement).
     */
    public static final int MAX_BATCH_LIMIT = 5000;
    /** Longest {@code interval}: every {@code 250} of a busy relay may wait for it. */
    public static final Duration MAX_INTERVAL = Duration.ofMillis(50);
    public static final GroupCommitSettings DEFAULT = new GroupCommitSettings(1, 100, 10_000, Duration.ofMillis(2));

    public GroupCommitSettings {
        if (committers < 1) {
            throw new IllegalArgumentException("committers must be >= 1, was " + committers);
        }
        if (maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT) {
            throw new IllegalArgumentException("maxBatch must be in [1, " + MAX_BATCH_LIMIT + "], was " + maxBatch);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
        }
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("interval must be in [0, " + MAX_INTERVAL.toMillis() + " ms], was "
                    + interval);
        }
    }

    /** Commits at once, without an interval. */
    public GroupCommitSettings(int committers, int maxBatch, int queueCapacity) {
        this(committers, maxBatch, queueCapacity, Duration.ZERO);
    }
}
