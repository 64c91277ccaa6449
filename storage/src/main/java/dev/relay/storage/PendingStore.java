package dev.relay.storage;

import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.MonoSink;

/**
 * One store waiting in or committing with a batch; owns the message content until released. {@code claimedBy}
 * is the node whose in-flight recipients these become, or null to queue them.
 */
final class PendingStore implements NaturalBatcher.Pending {
    private final IncomingMessage message;
    private final @Nullable String claimedBy;
    private final MonoSink<Void> sink;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean cancelled;

    PendingStore(IncomingMessage message, @Nullable String claimedBy, MonoSink<Void> sink) {
        this.message = message;
        this.claimedBy = claimedBy;
        this.sink = sink;
    }

    IncomingMessage message() {
        return message;
    }

    @Nullable String claimedBy() {
        return claimedBy;
    }

    void cancel() {
        cancelled = true;
    }

    @Override
    public int weight() {
        return 1;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void discard() {
        release();
    }

    @Override
    public String describe() {
        return message.id().toString();
    }

    void release() {
        if (released.compareAndSet(false, true)) {
            message.content().release();
        }
    }

    @Override
    public void succeed() {
        release();
        sink.success();
    }

    @Override
    public void fail(Throwable error) {
        release();
        sink.error(error);
    }
}
