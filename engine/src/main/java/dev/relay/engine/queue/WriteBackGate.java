package dev.relay.engine.queue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound on deliveries started and not yet written back. A delivery's slot and connection are free at its final
 * reply, and its outcomes then wait for the (batched) write-back while the slot carries the next message; without a
 * bound, a slow or absent database would let deliveries run on with ever more outcomes unwritten, and a crash would
 * deliver all of them again. So a delivery takes a permit when it starts and gives it back once its outcomes are
 * written (or given up); at the limit, dispatch starts nothing and the site queues that found no room are dispatched
 * again when a permit comes back (backpressure, not a growing queue).
 *
 * <p>Threads: any. The count is one atomic; {@link #hasRoom} and {@link #take} are separate steps (the site's
 * throttle decides between them), so concurrent dispatches may overshoot the limit by at most their number, which
 * keeps it a bound. A dispatch that found no room raises {@code starved} before it looks again, so a permit given
 * back in between is never missed.
 */
final class WriteBackGate {
    private final int limit;
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicBoolean starved = new AtomicBoolean();
    /** Dispatches again whatever found no room (runs outside every monitor). */
    private final Runnable roomAgain;

    WriteBackGate(int limit, Runnable roomAgain) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        this.limit = limit;
        this.roomAgain = roomAgain;
    }

    /** May a delivery start now? False also registers the caller's wish to be dispatched again. */
    boolean hasRoom() {
        if (held.get() < limit) {
            return true;
        }
        starved.set(true);
        return held.get() < limit;
    }

    /** A delivery started: its permit is held until its outcomes are written. */
    void take() {
        held.incrementAndGet();
    }

    /** A delivery's outcomes were written (or given up). */
    void give() {
        int after = held.decrementAndGet();
        if (after < 0) {
            throw new IllegalStateException("write-back permits given back more than taken: " + after);
        }
        if (after < limit && starved.compareAndSet(true, false)) {
            roomAgain.run();
        }
    }

    /** Deliveries started and not yet written back. */
    int held() {
        return held.get();
    }
}
