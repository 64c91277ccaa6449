package dev.relay.engine.queue;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.routing.NextHop;
import dev.relay.storage.Priority;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The ready queue of one site: jobs whose route is known, in two lanes (transactional is always taken first, bulk
 * only when no transactional job waits), and the count of deliveries running against the site, kept within the
 * site's connection limit. Thread-safe; critical sections are a few field updates.
 */
final class SiteQueue {
    /** A job with the hops it was routed to (the hops of one domain; domains of one site may differ). */
    record Ready(DeliveryJob job, List<NextHop> hops) {
        Ready {
            Objects.requireNonNull(job, "job");
            hops = List.copyOf(hops);
        }
    }

    private final String site;
    private final ArrayDeque<Ready> transactional = new ArrayDeque<>();
    private final ArrayDeque<Ready> bulk = new ArrayDeque<>();
    private int active;
    private long lastUsedNanos;

    SiteQueue(String site, long nowNanos) {
        this.site = site;
        this.lastUsedNanos = nowNanos;
    }

    String site() {
        return site;
    }

    synchronized void add(Ready ready) {
        (ready.job().message().priority() == Priority.BULK ? bulk : transactional).add(ready);
    }

    /**
     * The next job to start when the site has a free connection slot under the limits that apply to that job (they
     * may differ by recipient domain), counting it as active; null otherwise.
     */
    synchronized @Nullable Ready start(Function<DeliveryJob, SiteLimits> limits, long nowNanos) {
        Ready next = transactional.peek();
        ArrayDeque<Ready> lane = transactional;
        if (next == null) {
            next = bulk.peek();
            lane = bulk;
        }
        if (next == null || active >= limits.apply(next.job()).connectionLimit()) {
            return null;
        }
        lane.poll();
        active++;
        lastUsedNanos = nowNanos;
        return next;
    }

    synchronized void finished(long nowNanos) {
        active--;
        lastUsedNanos = nowNanos;
    }

    synchronized int waiting(Priority priority) {
        return (priority == Priority.BULK ? bulk : transactional).size();
    }

    synchronized int active() {
        return active;
    }

    /** Nothing waiting or running, and untouched since {@code idleSinceNanos}: the queue object may go. */
    synchronized boolean idleSince(long idleSinceNanos) {
        return active == 0 && transactional.isEmpty() && bulk.isEmpty() && lastUsedNanos <= idleSinceNanos;
    }

    /** Removes every waiting job (shutdown); running ones finish on their own. */
    synchronized List<Ready> drain() {
        List<Ready> all = new java.util.ArrayList<>(transactional);
        all.addAll(bulk);
        transactional.clear();
        bulk.clear();
        return all;
    }
}
