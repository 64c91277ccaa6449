package dev.relay.storage;

/** Hooks for metrics: called once per batch, on the committing thread; must not block. */
public interface SpoolObserver {
    SpoolObserver NONE = new SpoolObserver() {
        @Override
        public void batchCommitted(int messages, long nanos) {}

        @Override
        public void batchFailed(int messages, Throwable cause) {}
    };

    void batchCommitted(int messages, long nanos);

    void batchFailed(int messages, Throwable cause);
}
