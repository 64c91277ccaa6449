package dev.relay.storage;

/**
 * Group commit tuning: {@code committers} concurrent transactions, at most {@code maxBatch} messages
 * each, at most {@code queueCapacity} messages waiting.
 */
public record GroupCommitSettings(int committers, int maxBatch, int queueCapacity) {
    public static final GroupCommitSettings DEFAULT = new GroupCommitSettings(2, 100, 10_000);

    public GroupCommitSettings {
        if (committers < 1) {
            throw new IllegalArgumentException("committers must be >= 1, was " + committers);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
        }
    }
}
