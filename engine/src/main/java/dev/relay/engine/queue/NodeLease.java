package dev.relay.engine.queue;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * This node's standing in the shared database, from its heartbeats: other nodes take over the claims of a node
 * whose last heartbeat is older than {@code staleAfter}. So a node that has not heartbeat for half that long starts
 * no new delivery (what it starts might be taken over and delivered again elsewhere), and a node whose heartbeats
 * were apart by {@code staleAfter} or more must assume its claims were taken.
 *
 * <p>Times are {@link System#nanoTime} values passed in (tests use fake ones). The database stamps a heartbeat
 * somewhere between when it was sent and when it was answered, so a beat counts from when it was sent (starts stop
 * no later than they must). Whether the claims may be gone is the database's gap between two heartbeats, the one
 * other nodes see; without it, the gap up to when the beat was answered (a beat that sat in a stalled connection
 * for the stale period counts as the gap it may have been). Both err on the safe side.
 * Written by the heartbeat (one at a time), read from any thread.
 */
final class NodeLease {
    /** What a successful heartbeat means. */
    enum Beat {
        /** Within half the stale period of the previous one: nothing changed. */
        STEADY,
        /** Starts had stopped; the claims are still this node's. */
        RESUMED,
        /** Silent for the whole stale period: other nodes may have taken the claims. */
        LOST
    }

    private final long staleNanos;
    private volatile long lastSent;
    /** The first beat follows the start, which returned every earlier claim: no previous silence counts. */
    private volatile boolean first = true;

    NodeLease(Duration staleAfter, long nowNanos) {
        this.staleNanos = staleAfter.toNanos();
        this.lastSent = nowNanos;
    }

    /** May a delivery start now? */
    boolean mayStart(long nowNanos) {
        return nowNanos - lastSent < staleNanos / 2;
    }

    /**
     * A heartbeat sent at {@code sentNanos} was answered (written) at {@code answeredNanos}; {@code sincePrevious}
     * is the time since the previous heartbeat by the database's clock, which other nodes judge staleness by (null
     * when unknown: then the local bound, answered minus the previous one's sending, decides).
     */
    Beat beat(long sentNanos, long answeredNanos, @Nullable Duration sincePrevious) {
        long previous = lastSent;
        if (sentNanos - previous < 0) {
            return Beat.STEADY; // an older beat answered late: the newer one decided already
        }
        lastSent = sentNanos;
        long local = answeredNanos - previous;
        if (first) {
            first = false;
            return Beat.STEADY;
        }
        long gap = sincePrevious != null ? sincePrevious.toNanos() : local;
        return gap >= staleNanos ? Beat.LOST : local >= staleNanos / 2 ? Beat.RESUMED : Beat.STEADY;
    }
}
