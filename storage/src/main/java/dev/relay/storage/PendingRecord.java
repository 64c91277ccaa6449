package dev.relay.storage;

import java.util.List;
import reactor.core.publisher.MonoSink;

/** One {@link PgDeliveryStore#record} call waiting in or committing with a batch. */
final class PendingRecord implements NaturalBatcher.Pending {
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

    /** Counted by recipient updates, so a batch stays under the statement size the settings allow. */
    @Override
    public int weight() {
        return updates.size();
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void discard() {
        // holds nothing to release
    }

    @Override
    public String describe() {
        return updates.size() + " updates";
    }

    @Override
    public void succeed() {
        sink.success();
    }

    @Override
    public void fail(Throwable error) {
        sink.error(error);
    }
}
