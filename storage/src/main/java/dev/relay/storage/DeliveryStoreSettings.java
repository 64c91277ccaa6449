package dev.relay.storage;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of {@link PgDeliveryStore#record}: {@code committers} concurrent batches, at most {@code maxBatch}
 * recipient updates merged into one batch (a single larger call still goes alone), at most {@code queueCapacity}
 * record calls waiting. One committer by default: the write-back is off every reply's path, so what matters is its
 * cost per outcome, and a second committer halved the batches at moderate rates (one transaction of two statements
 * per two or three outcomes at 1,000 msg/s) for 7 % more CPU per message, relay and PostgreSQL (issue 14,
 * benchmarks/RESULTS.md); one keeps up with any rate since its batches grow with the queue. {@code minInterval}
 * spaces a committer's batches (see {@link NaturalBatcher.Pace}): outcomes wait up to that long to be written, so
 * that a transaction carries an interval's outcomes at moderate rates rather than one or two.
 */
public record DeliveryStoreSettings(int committers, int maxBatch, int queueCapacity, Duration minInterval) {
    public static final DeliveryStoreSettings DEFAULT = new DeliveryStoreSettings(1, 1000, 100_000,
            Duration.ofMillis(20));

    public DeliveryStoreSettings {
        if (committers < 1) {
            throw new IllegalArgumentException("committers must be >= 1, was " + committers);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
        }
        Objects.requireNonNull(minInterval, "minInterval");
        if (minInterval.isNegative() || minInterval.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("minInterval must be within 0..1s, was " + minInterval);
        }
    }
}
