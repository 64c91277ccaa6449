package dev.relay.storage;

import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.MonoSink;

/** One {@link PgDeliveryStore#record} call waiting in or committing with a batch. */
final class PendingRecord implements NaturalBatcher.Pending {
    private final List<RecipientUpdate> updates;
    private final @Nullable String node;
    private final MonoSink<Void> sink;
    private volatile boolean cancelled;

    /** @param node the node whose claims the updates must hold; null: not fenced */
    PendingRecord(List<RecipientUpdate> updates, @Nullable String node, MonoSink<Void> sink) {
        this.updates = updates;
        this.node = node;
        this.sink = sink;
    }

    List<RecipientUpdate> updates() {
        return updates;
    }

    @Nullable String node() {
        return node;
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
        return updates.get(0).messageId() + (updates.size() == 1 ? "" : " (" + updates.size() + " updates)");
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
