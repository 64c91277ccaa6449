package dev.relay.engine.server;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The global budget of message bytes held in memory between the socket and the spool's COMMIT.
 *
 * <p>Sessions account for the bytes they have already received; when the total passes the limit they stop reading
 * (TCP flow control then pushes back on the clients) and are woken when committed or discarded messages give bytes
 * back. The overshoot is bounded by one socket read per connection.
 */
public final class ByteBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    public ByteBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("byte budget must be >= 1, was " + limit);
        }
        this.limit = limit;
    }

    /** Accounts for {@code bytes}; returns false when the budget is now exhausted and the caller should pause. */
    public boolean add(long bytes) {
        return used.addAndGet(bytes) <= limit;
    }

    /** Runs {@code wakeUp} once the budget has room again (immediately if it already has). */
    public void awaitRoom(Runnable wakeUp) {
        waiters.add(wakeUp);
        if (used.get() <= limit) {
            wakeWaiters();
        }
    }

    public void release(long bytes) {
        if (bytes == 0) {
            return;
        }
        if (used.addAndGet(-bytes) <= limit) {
            wakeWaiters();
        }
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }

    private void wakeWaiters() {
        Runnable waiter;
        while (used.get() <= limit && (waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }
}
