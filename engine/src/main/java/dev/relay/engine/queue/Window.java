package dev.relay.engine.queue;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The bound on recipients held in memory (claimed from the spool and not yet written back). Claims and front-door
 * hand-offs reserve before they take; write-backs release. This is what keeps a backlog of millions on disk.
 *
 * <p>Threads: any. The count is one atomic; whoever waits for it to reach zero ({@link #whenEmpty}) is told by the
 * release that gets it there, so a stop waits on a signal rather than polling.
 */
final class Window {
    private final int capacity;
    private final AtomicInteger used = new AtomicInteger();
    private final Queue<Sinks.Empty<Void>> emptyWaiters = new ConcurrentLinkedQueue<>();

    Window(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** Reserves {@code n} slots if all fit. */
    boolean tryReserve(int n) {
        while (true) {
            int now = used.get();
            if (now + n > capacity) {
                return false;
            }
            if (used.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    /** Reserves up to {@code n} slots; returns how many were reserved (possibly 0). */
    int reserveUpTo(int n) {
        while (true) {
            int now = used.get();
            int take = Math.min(n, capacity - now);
            if (take <= 0) {
                return 0;
            }
            if (used.compareAndSet(now, now + take)) {
                return take;
            }
        }
    }

    void release(int n) {
        int after = used.addAndGet(-n);
        if (after < 0) {
            throw new IllegalStateException("window released more than reserved: " + after);
        }
        if (after == 0) {
            for (Sinks.Empty<Void> waiter; (waiter = emptyWaiters.poll()) != null; ) {
                waiter.tryEmitEmpty();
            }
        }
    }

    /**
     * Completes once nothing is held (at once when nothing is). A waiter registers before it looks, so a release to
     * zero between the two is never missed.
     */
    Mono<Void> whenEmpty() {
        return Mono.defer(() -> {
            Sinks.Empty<Void> waiter = Sinks.empty();
            emptyWaiters.add(waiter);
            if (used.get() == 0) {
                emptyWaiters.remove(waiter);
                return Mono.empty();
            }
            return waiter.asMono();
        });
    }

    int used() {
        return used.get();
    }

    int capacity() {
        return capacity;
    }
}
