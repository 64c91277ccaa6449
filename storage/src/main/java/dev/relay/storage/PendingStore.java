package dev.relay.storage;

import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.MonoSink;

/** One store waiting in or committing with a batch; owns the message content until released. */
final class PendingStore {
    private final IncomingMessage message;
    private final MonoSink<Void> sink;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean cancelled;

    PendingStore(IncomingMessage message, MonoSink<Void> sink) {
        this.message = message;
        this.sink = sink;
    }

    IncomingMessage message() {
        return message;
    }

    void cancel() {
        cancelled = true;
    }

    boolean isCancelled() {
        return cancelled;
    }

    void release() {
        if (released.compareAndSet(false, true)) {
            message.content().release();
        }
    }

    void succeed() {
        release();
        sink.success();
    }

    void fail(Throwable error) {
        release();
        sink.error(error);
    }
}
