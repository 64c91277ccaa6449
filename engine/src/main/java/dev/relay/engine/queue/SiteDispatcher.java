package dev.relay.engine.queue;

import dev.relay.engine.routing.NextHop;
import dev.relay.engine.shaping.Shaping;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.Priority;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Scheduler;

/**
 * Puts routed jobs on their site's ready queue and starts deliveries from it: keeps one {@link SiteQueue} per site
 * (created on first use, evicted when idle), returns jobs past the site's share of the window to the spool, holds
 * jobs for operator-suspended sites, and comes back on the timer when a site's shaping says "not before T". A
 * delivery's slot is free at its final reply; its recipients stay held (site share, window) until its outcomes are
 * written back, and no delivery starts while {@link WriteBackGate} is at its limit.
 *
 * <p>Threads: routed jobs arrive on the resolver's threads, finished deliveries on the client's event loops,
 * wake-ups on the timer, resumes on the admin and reload threads; all may dispatch at once. The site map is a
 * {@link ConcurrentHashMap} whose per-key {@code compute} serialises creating a site's queue, adding to it and
 * evicting it, so no job lands in an evicted queue; each queue's monitor serialises its own start decisions.
 */
final class SiteDispatcher {
    private static final Logger log = LoggerFactory.getLogger(SiteDispatcher.class);

    private final DeliveryScheduler.Settings settings;
    private final DeliveryStore store;
    private final Shaping shaping;
    private final SiteSuspensions suspensions;
    private final DeliveryObserver observer;
    private final Window window;
    private final OutcomeRecorder recorder;
    private final AttemptRunner attempts;
    private final WriteBackGate writeBack;
    private final TimeSource time;
    private final Scheduler timers;
    /** False while stopping or while the lease is in doubt (the heartbeat dispatches again when it succeeds). */
    private final BooleanSupplier mayStart;
    private final BooleanSupplier closed;
    private final IntSupplier liveNodes;
    /** Window room was freed (a delivery finished, a job went back): the claimer may refill. */
    private final Runnable freed;
    private final Map<String, SiteQueue> sites = new ConcurrentHashMap<>();

    private final ReturnPath returnPath;

    SiteDispatcher(DeliveryScheduler.Settings settings, DeliveryStore store, Shaping shaping,
                   SiteSuspensions suspensions, DeliveryObserver observer, Window window, OutcomeRecorder recorder,
                   AttemptRunner attempts, TimeSource time, Scheduler timers, BooleanSupplier mayStart,
                   BooleanSupplier closed, IntSupplier liveNodes, Runnable freed) {
        this(settings, store, shaping, suspensions, observer, window, recorder, attempts, time, timers, ReturnPath.ORIGINAL,
                mayStart, closed, liveNodes, freed);
    }

    /** {@code returnPath}: a job it says is one per recipient is split to single recipients (VERP). */
    SiteDispatcher(DeliveryScheduler.Settings settings, DeliveryStore store, Shaping shaping,
                   SiteSuspensions suspensions, DeliveryObserver observer, Window window, OutcomeRecorder recorder,
                   AttemptRunner attempts, TimeSource time, Scheduler timers, ReturnPath returnPath,
                   BooleanSupplier mayStart, BooleanSupplier closed, IntSupplier liveNodes, Runnable freed) {
        this.returnPath = returnPath;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.shaping = Objects.requireNonNull(shaping, "shaping");
        this.suspensions = Objects.requireNonNull(suspensions, "suspensions");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.window = Objects.requireNonNull(window, "window");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.attempts = Objects.requireNonNull(attempts, "attempts");
        this.time = Objects.requireNonNull(time, "time");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.mayStart = Objects.requireNonNull(mayStart, "mayStart");
        this.closed = Objects.requireNonNull(closed, "closed");
        this.liveNodes = Objects.requireNonNull(liveNodes, "liveNodes");
        this.freed = Objects.requireNonNull(freed, "freed");
        this.writeBack = new WriteBackGate(settings.writeBackLimit(), this::dispatchAll);
    }

    /**
     * Puts a routed job on its site's queue, in parts of at most the site's recipients per message; what would take
     * the site past its share of the window goes back to the spool. Then starts what the site allows.
     */
    void place(String site, List<NextHop> hops, DeliveryJob job) {
        List<SiteQueue.Ready> refused = new ArrayList<>();
        SiteQueue queue = sites.compute(site, (s, q) -> {
            SiteQueue into = q != null ? q : newQueue(s);
            int max = returnPath.onePerRecipient(job.message()) ? 1 : shapingOf(s, job).limits().maxRecipientsPerMessage();
            for (DeliveryJob part : job.split(max)) {
                SiteQueue.Ready ready = new SiteQueue.Ready(part, hops);
                if (!into.offer(ready, settings.siteCap())) {
                    refused.add(ready);
                }
            }
            return into;
        });
        refused.forEach(ready -> unclaim(site, ready));
        dispatch(queue);
    }

    /**
     * Gives a job back to the spool without an attempt: its site holds its share of the window already (a slow or
     * tarpitting site must not take the room other sites' mail needs). Claims pass over the site until it has
     * delivered some; if the database cannot take the job back now, it waits in the site's queue after all.
     */
    private void unclaim(String site, SiteQueue.Ready ready) {
        DeliveryJob job = ready.job();
        int n = job.recipients().size();
        observer.returnedForShare(site, n);
        store.unclaim(settings.node(), job.message().id(), OutcomeRecorder.indexes(job), site)
                .subscribe(returned -> window.release(n), e -> {
                    log.warn("{} could not return {} recipients for site {} to the queue ({}); they wait here",
                            job.message().id(), n, site, e.toString());
                    dispatch(sites.compute(site, (s, q) -> {
                        SiteQueue into = q != null ? q : newQueue(s);
                        into.add(ready);
                        return into;
                    }));
                });
    }

    private SiteQueue newQueue(String site) {
        return new SiteQueue(site, new SiteThrottle(shaping.resolve(site, ""), time.ticker(),
                kind -> observer.rateWaited(site, kind)), time.nanos());
    }

    /** Starts what the site's shaping allows now; when it says "not before T", comes back at T on the timer. */
    void dispatch(SiteQueue queue) {
        while (!closed.getAsBoolean() && mayStart.getAsBoolean()) {
            SiteSuspensions.Hold hold = suspensions.holdOf(queue.site());
            if (hold != null) {
                // an operator's suspension (all nodes, stored): what waits goes back to the database until it ends
                for (SiteQueue.Ready ready : queue.drain()) {
                    recorder.hold(ready.job(), queue.site(), hold);
                }
                return;
            }
            if (!writeBack.hasRoom()) {
                return; // the gate dispatches every site again when a write-back ends
            }
            SiteQueue.Step step = queue.start(job -> shapingOf(queue.site(), job), liveNodes.getAsInt(), time.nanos());
            if (step instanceof SiteQueue.Step.Start start) {
                int recipients = start.ready().job().recipients().size();
                writeBack.take();
                attempts.attempt(queue, start, () -> {
                            queue.ended(time.nanos());
                            dispatch(queue);
                        }, () -> {
                            queue.written(recipients);
                            writeBack.give();
                            freed.run();
                        })
                        .subscribe();
            } else {
                if (step instanceof SiteQueue.Step.Later later && queue.wakeAt(later.atNanos())) {
                    long at = later.atNanos();
                    timers.schedule(() -> {
                        queue.woke(at);
                        dispatch(queue);
                    }, Math.max(0, at - time.nanos()), TimeUnit.NANOSECONDS);
                }
                return;
            }
        }
    }

    /** Starts what every site allows now (raised limits, a lease regained). */
    void dispatchAll() {
        sites.values().forEach(this::dispatch);
    }

    private SiteShaping shapingOf(String site, DeliveryJob job) {
        return shaping.resolve(site, job.domain());
    }

    /** Sites holding their share of the window: claims pass over their recipients until they deliver some. */
    Set<String> fullSites() {
        Set<String> full = new HashSet<>();
        int above = settings.siteSkipAbove();
        sites.forEach((name, q) -> {
            if (q.holding() > above) {
                full.add(name);
            }
        });
        return full;
    }

    /** Drops every waiting job (stop, lost lease), releasing its room; running ones finish. Returns recipients. */
    int dropWaiting() {
        int dropped = 0;
        for (SiteQueue q : sites.values()) {
            for (SiteQueue.Ready r : q.drain()) {
                dropped += r.job().recipients().size();
            }
        }
        window.release(dropped);
        return dropped;
    }

    /** Removes the queues that have been idle for the site idle period. */
    void evictIdle() {
        long idleSince = time.nanos() - settings.siteIdle().toNanos();
        for (String site : sites.keySet()) {
            sites.computeIfPresent(site, (s, q) -> q.idleSince(idleSince) ? null : q);
        }
    }

    /** Lifts the suspensions this node's shaping rules hold against {@code site} and starts what waits. */
    void resume(String site) {
        SiteQueue queue = sites.get(site);
        if (queue != null) {
            queue.throttle().resume();
            log.info("site {}: resumed", site);
            dispatch(queue);
        }
    }

    /** The shaping state of every site with a queue object: suspension, effective limits, rules in force. */
    Map<String, SiteThrottle.State> shapingState() {
        Map<String, SiteThrottle.State> out = new TreeMap<>();
        Instant now = time.now();
        sites.forEach((name, q) -> out.put(name, q.throttle().state(now)));
        return out;
    }

    /** Deliveries started and not yet written back (running or waiting for their write-back). */
    int unwritten() {
        return writeBack.held();
    }

    /** Every site with a queue object now (for metrics and the admin API). */
    Map<String, DeliveryScheduler.SiteSnapshot> snapshot() {
        Map<String, DeliveryScheduler.SiteSnapshot> out = new TreeMap<>();
        sites.forEach((name, q) -> out.put(name, new DeliveryScheduler.SiteSnapshot(q.waiting(Priority.TRANSACTIONAL),
                q.waiting(Priority.BULK), q.active())));
        return out;
    }

    /** The queue of {@code site}, if it has one (tests). */
    @Nullable SiteQueue queue(String site) {
        return sites.get(site);
    }
}
