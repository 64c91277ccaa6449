package dev.relay.storage;

/**
 * Tuning of {@link PgDeliveryStore#record}: {@code committers} concurrent batches, at most {@code maxBatch}
 * recipient updates merged into one batch (a single larger call still goes alone), at most {@code queueCapacity}
 * record calls waiting.
 */
public record DeliveryStoreSettings(int committers, int maxBatch, int queueCapacity) {
    public static final DeliveryStoreSettings DEFAULT = new DeliveryStoreSettings(2, 1000, 100_000);

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
    }
}
