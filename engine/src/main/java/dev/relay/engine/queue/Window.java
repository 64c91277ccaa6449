package dev.relay.engine.queue;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound on recipients held in memory (claimed from the spool and not yet written back). Claims and front-door
 * hand-offs reserve before they take; write-backs release. This is what keeps a backlog of millions on disk.
 */
final class Window {
    private final int capacity;
    private final AtomicInteger used = new AtomicInteger();

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
    }

    int used() {
        return used.get();
    }

    int capacity() {
        return capacity;
    }
}
