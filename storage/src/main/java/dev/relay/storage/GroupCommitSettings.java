package dev.relay.storage;

/**
 * Group commit tuning: {@code committers} concurrent transactions, at most {@code maxBatch} messages
 * each, at most {@code queueCapacity} messages waiting.
 */
public record GroupCommitSettings(int committers, int maxBatch, int queueCapacity) {
    /** One multi-row INSERT binds 11 parameters per message; PostgreSQL allows 65535. */
    public static final int MAX_BATCH_LIMIT = 5000;
    public static final GroupCommitSettings DEFAULT = new GroupCommitSettings(2, 100, 10_000);

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
    }
}
