package dev.relay.storage;

/** Hooks for metrics on {@link PgDeliveryStore#record}: called once per batch, on the committing thread; must not block. */
public interface RecordObserver {
    RecordObserver NONE = new RecordObserver() {
        @Override
        public void batchRecorded(int calls, int updates, long nanos) {}

        @Override
        public void batchFailed(int calls, int updates, Throwable cause) {}
    };

    /** {@code calls} record() calls merged into one batch of {@code updates} recipient updates, committed. */
    void batchRecorded(int calls, int updates, long nanos);

    void batchFailed(int calls, int updates, Throwable cause);

    /** {@code updates} of a committed batch changed nothing: their recipients are no longer in flight for the node. */
    default void fenced(long updates) {}
}
