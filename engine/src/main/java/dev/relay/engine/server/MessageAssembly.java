package dev.relay.engine.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * The content of the message a session is receiving, as reference-counted buffers (no copy), accounted against
 * the global {@link ByteBudget} from the first byte until the spool is done with it.
 */
final class MessageAssembly {
    /** A finished message: its bytes, owned by the caller, and what it holds of the budget until {@link #release}. */
    record Finished(CompositeByteBuf content, long budgeted) {
    }

    private final ByteBudget budget;
    private @Nullable CompositeByteBuf content;
    private long budgeted;

    MessageAssembly(ByteBudget budget) {
        this.budget = budget;
    }

    /** Starts a new message, dropping any unfinished one. */
    void start(ByteBufAllocator allocator) {
        discard();
        content = allocator.compositeBuffer(Integer.MAX_VALUE);
    }

    boolean isCollecting() {
        return content != null;
    }

    /** Takes ownership of {@code bytes}; returns false when the budget is exhausted and reading should pause. */
    boolean add(ByteBuf bytes) {
        CompositeByteBuf content = this.content;
        if (content == null) {
            bytes.release();
            return true;
        }
        int length = bytes.readableBytes();
        content.addComponent(true, bytes);
        budgeted += length;
        return budget.add(length, this);
    }

    /** Hands the complete message over; the caller releases the content and calls {@link #release} when done. */
    Finished finish() {
        CompositeByteBuf finished = java.util.Objects.requireNonNull(content, "no message being collected");
        Finished result = new Finished(finished, budgeted);
        content = null;
        budgeted = 0;
        return result;
    }

    /** Gives back the budget of a finished message once the spool has committed or refused it. */
    void release(Finished finished) {
        budget.release(finished.budgeted(), this);
    }

    /** Drops the message being collected (refused, aborted, connection gone). */
    void discard() {
        CompositeByteBuf content = this.content;
        if (content != null) {
            this.content = null;
            content.release();
        }
        if (budgeted > 0) {
            budget.release(budgeted, this);
            budgeted = 0;
        }
    }

    /** Runs {@code wakeUp} once the budget has room again. */
    void awaitRoom(Runnable wakeUp) {
        budget.awaitRoom(wakeUp);
    }
}
