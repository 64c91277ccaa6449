package dev.relay.engine.server;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The global budget of message bytes held in memory between the socket and the spool's COMMIT.
 *
 * <p>Sessions account for the bytes they have already received; when the total passes the limit they stop reading
 * (TCP flow control then pushes back on the clients) and are woken when committed or discarded messages give bytes
 * back.
 *
 * <p>If every session holding bytes were paused mid-message, none could finish and give bytes back: a deadlock. So
 * one session at a time may hold the <em>overdraft</em> and keep reading past the limit until its message is
 * committed or discarded. Memory therefore stays below {@code limit + max_message_size} plus one socket read per
 * connection, and there is always a message making progress.
 */
public final class ByteBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicReference<Object> overdraft = new AtomicReference<>();
    private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    public ByteBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("byte budget must be >= 1, was " + limit);
        }
        this.limit = limit;
    }

    /**
     * Accounts for {@code bytes} received by {@code holder}; returns false when the budget is exhausted and the
     * holder should pause until {@link #awaitRoom}.
     */
    public boolean add(long bytes, Object holder) {
        if (used.addAndGet(bytes) <= limit) {
            return true;
        }
        return overdraft.get() == holder || overdraft.compareAndSet(null, holder);
    }

    /** Runs {@code wakeUp} once the budget has room again (immediately if it already has). */
    public void awaitRoom(Runnable wakeUp) {
        waiters.add(wakeUp);
        if (used.get() <= limit || overdraft.get() == null) {
            wakeWaiters();
        }
    }

    /** Gives back the bytes of a message that was committed or discarded by {@code holder}. */
    public void release(long bytes, Object holder) {
        used.addAndGet(-bytes);
        overdraft.compareAndSet(holder, null);
        wakeWaiters();
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }

    private void wakeWaiters() {
        Runnable waiter;
        while ((used.get() <= limit || overdraft.get() == null) && (waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }
}
