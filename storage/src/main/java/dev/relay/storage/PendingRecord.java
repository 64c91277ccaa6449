package dev.relay.storage;

import java.util.List;
import reactor.core.publisher.MonoSink;

/** One {@link PgDeliveryStore#record} call waiting in or committing with a batch. */
final class PendingRecord {
    private final List<RecipientUpdate> updates;
    private final MonoSink<Void> sink;
    private volatile boolean cancelled;

    PendingRecord(List<RecipientUpdate> updates, MonoSink<Void> sink) {
        this.updates = updates;
        this.sink = sink;
    }

    List<RecipientUpdate> updates() {
        return updates;
    }

    void cancel() {
        cancelled = true;
    }

    boolean isCancelled() {
        return cancelled;
    }

    void succeed() {
        sink.success();
    }

    void fail(Throwable error) {
        sink.error(error);
    }
}
