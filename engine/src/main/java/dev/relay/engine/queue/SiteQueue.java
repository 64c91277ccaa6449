package dev.relay.engine.queue;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.routing.NextHop;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.storage.Priority;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The ready queue of one site: jobs whose route is known, in two lanes (transactional is always taken first, bulk
 * only when no transactional job waits), the count of deliveries running against the site, and the site's
 * {@link SiteThrottle}, which keeps them within its effective limits. It also counts the recipients it holds (waiting
 * or being delivered), so that one slow site cannot fill the node's whole window: {@link #offer} refuses a job past
 * the site's share. Thread-safe; critical sections are a few field updates (the queue's monitor is taken before the
 * throttle's, never the other way).
 */
final class SiteQueue {
    /** A job with the hops it was routed to (the hops of one domain; domains of one site may differ). */
    record Ready(DeliveryJob job, List<NextHop> hops) {
        Ready {
            Objects.requireNonNull(job, "job");
            hops = List.copyOf(hops);
        }
    }

    /** What {@link #start} decided. */
    sealed interface Step {
        /** Run this job now under these limits (the connection limit is the site's effective one). */
        record Start(Ready ready, SiteShaping shaping, SiteLimits limits) implements Step {
        }

        /** Nothing to start now; a finishing delivery or a new job will ask again. */
        record Idle() implements Step {
        }

        /** Nothing to start before {@code atNanos} (suspended, or waiting for a message-rate token). */
        record Later(long atNanos) implements Step {
        }
    }

    private static final Step IDLE = new Step.Idle();

    private final String site;
    private final SiteThrottle throttle;
    private final ArrayDeque<Ready> transactional = new ArrayDeque<>();
    private final ArrayDeque<Ready> bulk = new ArrayDeque<>();
    private int active;
    /** Recipients of the jobs waiting here or being delivered. */
    private int holding;
    private long lastUsedNanos;

    private long wakeAt;
    private boolean wakePending;

    SiteQueue(String site, SiteThrottle throttle, long nowNanos) {
        this.site = site;
        this.throttle = throttle;
        this.lastUsedNanos = nowNanos;
    }

    String site() {
        return site;
    }

    SiteThrottle throttle() {
        return throttle;
    }

    synchronized void add(Ready ready) {
        (ready.job().message().priority() == Priority.BULK ? bulk : transactional).add(ready);
        holding += ready.job().recipients().size();
    }

    /**
     * Adds the job unless it would take the recipients this site holds past {@code share}; a site holding nothing
     * takes any job (a job larger than the share must still go somewhere). False: the caller returns the job to the
     * spool.
     */
    synchronized boolean offer(Ready ready, int share) {
        int n = ready.job().recipients().size();
        if (holding > 0 && holding + n > share) {
            return false;
        }
        add(ready);
        return true;
    }

    /** Recipients waiting here or being delivered now. */
    synchronized int holding() {
        return holding;
    }

    /**
     * Asks the site's throttle whether the next job may start under the shaping that applies to it (which may
     * differ by recipient domain); when it may, takes it and counts it as active.
     */
    synchronized Step start(Function<DeliveryJob, SiteShaping> shapingOf, int liveNodes, long nowNanos) {
        Ready next = transactional.peek();
        ArrayDeque<Ready> lane = transactional;
        if (next == null) {
            next = bulk.peek();
            lane = bulk;
        }
        if (next == null) {
            return IDLE;
        }
        SiteShaping shaping = shapingOf.apply(next.job());
        SiteThrottle.Admission admission = throttle.admit(shaping, active, liveNodes);
        if (admission instanceof SiteThrottle.Admission.Go go) {
            lane.poll();
            active++;
            lastUsedNanos = nowNanos;
            return new Step.Start(next, shaping, go.limits());
        }
        if (admission instanceof SiteThrottle.Admission.Wait wait) {
            return new Step.Later(wait.untilNanos());
        }
        return IDLE;
    }

    /** True when the caller should schedule a wake-up at {@code atNanos} (none as early is pending). */
    synchronized boolean wakeAt(long atNanos) {
        if (wakePending && wakeAt - atNanos <= 0) {
            return false;
        }
        wakePending = true;
        wakeAt = atNanos;
        return true;
    }

    synchronized void woke(long atNanos) {
        if (wakeAt == atNanos) {
            wakePending = false;
        }
    }

    /** A delivery started by {@link #start} ended and its recipients' outcomes are written back. */
    synchronized void finished(long nowNanos, int recipients) {
        ended(nowNanos);
        written(recipients);
    }

    /**
     * A delivery started by {@link #start} has its final reply: its connection slot is free for the next job. Its
     * recipients are still held here until {@link #written}, so claims keep passing over a site whose outcomes pile
     * up unwritten.
     */
    synchronized void ended(long nowNanos) {
        active--;
        lastUsedNanos = nowNanos;
    }

    /** The outcomes of a delivery's {@code recipients} are written back (or given up): no longer held here. */
    synchronized void written(int recipients) {
        holding -= recipients;
    }

    synchronized int waiting(Priority priority) {
        return (priority == Priority.BULK ? bulk : transactional).size();
    }

    synchronized int active() {
        return active;
    }

    /** Nothing waiting or running, and untouched since {@code idleSinceNanos}: the queue object may go. */
    synchronized boolean idleSince(long idleSinceNanos) {
        return active == 0 && holding == 0 && transactional.isEmpty() && bulk.isEmpty()
                && lastUsedNanos <= idleSinceNanos
                && throttle.quiet();
    }

    /** Removes every waiting job (shutdown, an operator's hold); running ones finish on their own. */
    synchronized List<Ready> drain() {
        List<Ready> all = new java.util.ArrayList<>(transactional);
        all.addAll(bulk);
        transactional.clear();
        bulk.clear();
        for (Ready r : all) {
            holding -= r.job().recipients().size();
        }
        return all;
    }
}
