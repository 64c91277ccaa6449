package dev.relay.engine.queue;

import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.delivery.AttemptResult;
import dev.relay.engine.delivery.DeliveryClient;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.delivery.Envelope;
import dev.relay.engine.routing.Resolution;
import dev.relay.engine.routing.Router;
import dev.relay.engine.shaping.Shaping;
import dev.relay.engine.shaping.ShapingAction;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.MessageId;
import dev.relay.storage.RecipientUpdate;
import dev.relay.storage.StorageErrors;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * Moves claimed recipients from the spool to the next hops and writes the outcomes back.
 *
 * <p>PostgreSQL is the scheduled queue (recipients ordered by priority and next attempt time); memory holds a
 * bounded {@link Window} of claimed recipients. They are grouped per message and domain into {@link DeliveryJob}s,
 * routed (one lookup per domain, cached by the router), and put on the ready queue of their site ({@link SiteQueue},
 * transactional lane first), from which at most the site's connection limit of deliveries run at once. Outcomes
 * become {@link OutcomeUpdates} written back in batches by the store; bounced and expired recipients get a DSN first.
 * Freshly accepted messages arrive through {@link #reserve}/{@link #offer} without a database round trip.
 *
 * <p>Nodes sharing the database: write-backs are fenced by claim (they change only rows still in flight for this
 * node); a node that has not heartbeat for half the stale period starts nothing ({@link NodeLease}), and one whose
 * heartbeats were apart by the whole stale period drops what waits in memory and returns its remaining claims once
 * its running deliveries are written back. A write-back that can never succeed (a permanent storage error) is not
 * retried: its recipients are parked as deferred with a reply that says so, for an operator to see.
 */
public final class DeliveryScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeliveryScheduler.class);
    private static final long CONTENT_CACHE_BYTES = 64L << 20;
    /** Claimed messages are read in groups of this many, with one content query per group. */
    private static final int PREFETCH_GROUP = 256;
    /** Only messages up to this size are prefetched, and at most PREFETCH_BYTES per group: the cache stays useful. */
    private static final int PREFETCH_MAX_SIZE = 256 << 10;
    private static final long PREFETCH_BYTES = 8L << 20;

    /**
     * How this node takes part: its name, window, the share of the window one site may hold (0 to 1), poll and
     * heartbeat periods, and when idle site queues go.
     */
    public record Settings(String node, int window, double siteShare, Duration pollInterval, Duration heartbeat,
                           Duration staleAfter, Duration siteIdle) {
        public Settings {
            Objects.requireNonNull(node, "node");
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1, was " + window);
            }
            if (!(siteShare > 0 && siteShare <= 1)) {
                throw new IllegalArgumentException("siteShare must be in (0, 1], was " + siteShare);
            }
            for (Duration d : List.of(pollInterval, heartbeat, staleAfter, siteIdle)) {
                if (d.isZero() || d.isNegative()) {
                    throw new IllegalArgumentException("durations must be positive: " + d);
                }
            }
            if (staleAfter.compareTo(heartbeat.multipliedBy(3)) < 0) {
                throw new IllegalArgumentException("staleAfter must be at least three heartbeats");
            }
        }

        /** Recipients one claim query asks for at most. */
        int claimSize() {
            return Math.max(1, window / 4);
        }

        /** Recipients one site may hold in memory (waiting or being delivered). */
        int siteCap() {
            return Math.max(1, (int) (window * siteShare));
        }

        /**
         * A site holding more than this is passed over by claims: at most {@link #claimSize} below its cap, so one
         * claim cannot overfill it, and at least half of it, so a site at its cap is not claimed for again after
         * every single delivery (each such claim would bring rows only to return most of them).
         */
        int siteSkipAbove() {
            return Math.max(siteCap() / 2, siteCap() - claimSize());
        }
    }

    private final Settings settings;
    private final DeliveryStore store;
    private final Router router;
    private final DeliveryClient client;
    private final Shaping shaping;
    private final SiteSuspensions suspensions;
    private final OutcomeUpdates updates;
    private final BounceSink bounces;
    private final DeliveryObserver observer;
    private final Clock clock;
    private final Scheduler timers;
    private final Window window;
    private final ContentCache contents;
    private final Map<String, SiteQueue> sites = new ConcurrentHashMap<>();
    private final AtomicBoolean claiming = new AtomicBoolean();
    private final AtomicInteger running = new AtomicInteger();
    /** Window room reserved for the claim query in progress and not yet filled: not "in memory" for metrics. */
    private final AtomicInteger claimRoom = new AtomicInteger();
    private final Disposable.Composite tasks = Disposables.composite();
    private volatile boolean moreDue = true;
    private volatile int liveNodes = 1;
    private volatile boolean closed;
    /** Replaced at start, so the time spent waiting for the node name does not count as a silence. */
    private volatile NodeLease lease;
    /** After a lost lease: nothing starts until this node's remaining claims are returned. */
    private volatile boolean resetting;
    /** When a write-back can never succeed, its recipients are due again after this (time for an operator). */
    static final Duration PARKED = Duration.ofHours(1);
    /** An accept whose commit outcome was unknown: its claimed rows are returned after these delays. */
    static final List<Duration> UNCERTAIN_CHECKS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(4));

    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, Clock clock, Scheduler timers) {
        this(settings, store, router, client, shaping, SiteSuspensions.NONE, retry, bounces, observer, clock, timers);
    }

    /** @param suspensions sites suspended by an operator: their jobs are held back, not delivered */
    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, SiteSuspensions suspensions, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, Clock clock, Scheduler timers) {
        this.suspensions = Objects.requireNonNull(suspensions, "suspensions");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.router = Objects.requireNonNull(router, "router");
        this.client = Objects.requireNonNull(client, "client");
        this.shaping = Objects.requireNonNull(shaping, "shaping");
        this.updates = new OutcomeUpdates(Objects.requireNonNull(retry, "retry"));
        this.bounces = Objects.requireNonNull(bounces, "bounces");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.window = new Window(settings.window());
        this.contents = new ContentCache(store, CONTENT_CACHE_BYTES, Duration.ofMinutes(5));
        this.lease = new NodeLease(settings.staleAfter(), System.nanoTime());
    }

    /**
     * Refuses to start while another live node heartbeats under this node's name; then returns this node's leftover
     * claims to the queue and starts claiming, heartbeats and eviction.
     */
    public Mono<Long> start() {
        return nameFree().then(store.releaseClaims(settings.node()))
                .doOnNext(n -> {
                    lease = new NodeLease(settings.staleAfter(), System.nanoTime());
                    if (n > 0) {
                        log.info("returned {} recipients left in flight by node {} to the queue", n, settings.node());
                    }
                    tasks.add(Flux.interval(Duration.ZERO, settings.pollInterval(), timers)
                            .onBackpressureDrop()
                            .subscribe(tick -> refill(true)));
                    tasks.add(Flux.interval(Duration.ZERO, settings.heartbeat(), timers)
                            .onBackpressureDrop()
                            .concatMap(tick -> heartbeat(), 0) // no tick queued behind a hanging heartbeat
                            .subscribe());
                    tasks.add(Flux.interval(settings.siteIdle(), settings.siteIdle(), timers)
                            .subscribe(tick -> evictIdleSites()));
                });
    }

    /**
     * Waits while this node's name has a recent heartbeat: a crashed predecessor's stops changing and goes stale (at
     * most {@code staleAfter}), a live node's advances, which fails the start. A clean stop frees the name at once.
     */
    private Mono<Void> nameFree() {
        String node = settings.node();
        Duration stale = settings.staleAfter();
        return store.lastBeat(node).flatMap(first -> {
            if (first.age().compareTo(stale) >= 0) {
                return Mono.<Void>empty();
            }
            log.info("node name {} heartbeat {} ms ago: waiting up to {} to see whether another node uses it", node,
                    first.age().toMillis(), stale.minus(first.age()));
            return Flux.interval(Duration.ofMillis(500), timers)
                    .concatMap(tick -> store.lastBeat(node).map(java.util.Optional::of)
                            .defaultIfEmpty(java.util.Optional.empty()))
                    .filter(beat -> beat.isEmpty() || !beat.get().at().equals(first.at())
                            || beat.get().age().compareTo(stale) >= 0)
                    .next()
                    .flatMap(beat -> beat.isPresent() && !beat.get().at().equals(first.at())
                            ? Mono.<Void>error(new IllegalStateException("delivery.node_name " + node
                                    + " is in use: another live node heartbeats under it; give every node its own"
                                    + " name"))
                            : Mono.<Void>empty());
        });
    }

    /** One heartbeat: the lease, takeovers of stale nodes' claims (logged), the live node count. */
    private Mono<Void> heartbeat() {
        long sent = System.nanoTime();
        return store.heartbeat(settings.node(), settings.staleAfter())
                .doOnNext(hb -> {
                    hb.takenOver().forEach((node, n) -> {
                        log.warn("node {} silent for more than {}: took over its {} claimed recipients (returned to"
                                + " the queue)", node, settings.staleAfter(), n);
                        observer.claimsTakenOver(n);
                    });
                    beaten(sent, System.nanoTime(), hb.sincePrevious());
                })
                .then(store.liveNodes(settings.staleAfter()))
                .doOnNext(this::liveNodes)
                .then()
                .onErrorResume(e -> {
                    log.warn("heartbeat failed: {}{}", e.toString(), lease.mayStart(System.nanoTime()) ? ""
                            : "; starting no deliveries until it succeeds");
                    return Mono.empty();
                });
    }

    private void beaten(long sent, long answered, @Nullable Duration sincePrevious) {
        NodeLease.Beat beat = lease.beat(sent, answered, sincePrevious);
        if (beat == NodeLease.Beat.LOST && !resetting) {
            resetting = true;
            int dropped = 0;
            for (SiteQueue q : sites.values()) {
                for (SiteQueue.Ready r : q.drain()) {
                    dropped += r.job().recipients().size();
                }
            }
            window.release(dropped);
            log.warn("no heartbeat for {} or more: other nodes may have taken this node's claims; dropped {} waiting"
                    + " recipients, the rest return to the queue once running deliveries are written back",
                    settings.staleAfter(), dropped);
        } else if (beat == NodeLease.Beat.RESUMED) {
            log.info("heartbeat succeeded again within {}: starting deliveries again", settings.staleAfter());
        }
        if (resetting) {
            finishReset();
        } else if (beat != NodeLease.Beat.STEADY) {
            sites.values().forEach(this::dispatch);
            refill(false);
        }
    }

    /** After a lost lease, once nothing of this node runs or waits: whatever it still has claimed goes back. */
    private void finishReset() {
        if (window.used() > 0 || closed) {
            return; // the next heartbeat looks again
        }
        store.releaseClaims(settings.node()).subscribe(n -> {
            log.info("returned this node's {} remaining claimed recipients to the queue; starting deliveries again", n);
            resetting = false;
            sites.values().forEach(this::dispatch);
            refill(false);
        }, e -> log.warn("returning claims after a lost heartbeat failed, retrying: {}", e.toString()));
    }

    /** May a delivery, claim or hand-off start now (heartbeat recent, no reset pending)? */
    private boolean mayStart() {
        return !resetting && lease.mayStart(System.nanoTime());
    }

    /**
     * Reserves window room for a message the front door is about to store as claimed by this node; false when the
     * window is full (the message is then stored queued and claimed later).
     */
    public boolean reserve(int recipients) {
        return !closed && mayStart() && window.tryReserve(recipients);
    }

    /**
     * A message stored as claimed after {@link #reserve} whose commit outcome is unknown (the store timed out or was
     * cancelled, and the client was told 451): if it committed after all, nothing here holds it, so its recipients
     * are returned to the queue a little later, and again after a few minutes for a very late commit.
     */
    public void uncertain(MessageId id) {
        Flux.fromIterable(UNCERTAIN_CHECKS)
                .concatMap(delay -> Mono.delay(delay, timers)
                        .then(store.releaseMessage(settings.node(), id).onErrorReturn(0L)))
                .filter(n -> n > 0)
                .subscribe(n -> log.warn("{} committed after its accept had failed: {} recipients returned to the"
                        + " queue", id, n));
    }

    /** Gives back a reservation whose message was not stored. */
    public void cancel(int recipients) {
        window.release(recipients);
    }

    /** A message committed as claimed by this node after {@link #reserve}: schedule it now. */
    public void offer(ClaimedMessage message, byte[] content) {
        contents.put(message.id(), content);
        accept(message);
    }

    public String node() {
        return settings.node();
    }

    /** Recipients held in memory now. */
    public int inMemory() {
        return Math.max(0, window.used() - claimRoom.get());
    }

    /** Deliveries (SMTP transactions) running now. */
    public int running() {
        return running.get();
    }

    /** One site's ready queue now: jobs waiting per lane and deliveries running. */
    public record SiteSnapshot(int transactional, int bulk, int running) {}

    /** Every site with a queue object now (for metrics and the admin API). */
    public Map<String, SiteSnapshot> sites() {
        Map<String, SiteSnapshot> out = new java.util.TreeMap<>();
        sites.forEach((name, q) -> out.put(name, new SiteSnapshot(q.waiting(dev.relay.storage.Priority.TRANSACTIONAL),
                q.waiting(dev.relay.storage.Priority.BULK), q.active())));
        return out;
    }

    public int windowCapacity() {
        return window.capacity();
    }

    private void refill(boolean timer) {
        if (closed || (!timer && !moreDue) || !mayStart() || !claiming.compareAndSet(false, true)) {
            return;
        }
        int room = window.reserveUpTo(settings.claimSize());
        claimRoom.set(room);
        if (room == 0) {
            claiming.set(false);
            return;
        }
        AtomicInteger claimed = new AtomicInteger();
        store.claimDue(settings.node(), room, fullSites())
                .buffer(PREFETCH_GROUP)
                .concatMap(group -> contents.prefetch(prefetchable(group)).thenMany(Flux.fromIterable(group)))
                .doOnNext(m -> {
                    claimed.addAndGet(m.recipients().size());
                    claimRoom.addAndGet(-m.recipients().size());
                    accept(m);
                })
                .doFinally(signal -> {
                    window.release(room - claimed.get());
                    claimRoom.set(0);
                    moreDue = claimed.get() == room;
                    claiming.set(false);
                })
                .subscribe(null, e -> log.warn("claiming due recipients failed: {}", e.toString()),
                        () -> {
                            if (moreDue) {
                                refill(false);
                            }
                        });
    }

    /** Sites holding their share of the window: claims pass over their recipients until they deliver some. */
    private Set<String> fullSites() {
        Set<String> full = new java.util.HashSet<>();
        int above = settings.siteSkipAbove();
        sites.forEach((name, q) -> {
            if (q.holding() > above) {
                full.add(name);
            }
        });
        return full;
    }

    private List<dev.relay.storage.MessageId> prefetchable(List<ClaimedMessage> group) {
        List<dev.relay.storage.MessageId> ids = new ArrayList<>();
        long bytes = 0;
        for (ClaimedMessage m : group) {
            if (m.size() <= PREFETCH_MAX_SIZE && bytes + m.size() <= PREFETCH_BYTES && !contents.has(m.id())) {
                ids.add(m.id());
                bytes += m.size();
            }
        }
        return ids;
    }

    private void accept(ClaimedMessage message) {
        Map<String, List<ClaimedRecipient>> byDomain = new LinkedHashMap<>();
        for (ClaimedRecipient r : message.recipients()) {
            byDomain.computeIfAbsent(r.domain(), d -> new ArrayList<>()).add(r);
        }
        byDomain.forEach((domain, recipients) -> route(new DeliveryJob(message, domain, recipients)));
    }

    private void route(DeliveryJob job) {
        router.resolve(job.domain()).subscribe(resolution -> {
            if (closed) {
                // claimed or routed after drain() emptied the queues: leave it to releaseClaims, do not wait for it
                window.release(job.recipients().size());
                return;
            }
            if (resolution instanceof Resolution.Routed routed) {
                SiteQueue queue = queueOf(routed.site());
                for (DeliveryJob part : job.split(shapingOf(routed.site(), job).limits().maxRecipientsPerMessage())) {
                    SiteQueue.Ready ready = new SiteQueue.Ready(part, routed.hops());
                    if (!queue.offer(ready, settings.siteCap())) {
                        unclaim(queue, ready);
                    }
                }
                dispatch(queue);
            } else if (resolution instanceof Resolution.Undeliverable u) {
                finish(job, null, Collections.nCopies(job.recipients().size(),
                        new DeliveryOutcome.Bounced(null, SmtpReply.of(550, u.status(), u.reason()))));
            } else if (resolution instanceof Resolution.Unresolvable u) {
                finish(job, null, Collections.nCopies(job.recipients().size(),
                        new DeliveryOutcome.Deferred(null, SmtpReply.of(451, "4.4.3", u.reason()), null)));
            }
        }, e -> {
            log.error("{} routing {} failed unexpectedly", job.message().id(), job.domain(), e);
            finish(job, null, Collections.nCopies(job.recipients().size(),
                    new DeliveryOutcome.Deferred(null, SmtpReply.of(451, "4.4.3", "routing failed"), null)));
        });
    }

    /**
     * Gives a job back to the spool without an attempt: its site holds its share of the window already (a slow or
     * tarpitting site must not take the room other sites' mail needs). Claims pass over the site until it has
     * delivered some; if the database cannot take the job back now, it waits in the site's queue after all.
     */
    private void unclaim(SiteQueue queue, SiteQueue.Ready ready) {
        DeliveryJob job = ready.job();
        int n = job.recipients().size();
        observer.returnedForShare(queue.site(), n);
        store.unclaim(settings.node(), job.message().id(),
                        job.recipients().stream().map(ClaimedRecipient::index).toList(), queue.site())
                .subscribe(returned -> window.release(n), e -> {
                    log.warn("{} could not return {} recipients for site {} to the queue ({}); they wait here",
                            job.message().id(), n, queue.site(), e.toString());
                    queue.add(ready);
                    dispatch(queue);
                });
    }

    private SiteQueue queueOf(String site) {
        return sites.computeIfAbsent(site, s -> new SiteQueue(s, new SiteThrottle(shaping.resolve(s, ""),
                System::nanoTime, kind -> observer.rateWaited(s, kind)), System.nanoTime()));
    }

    /** Starts what the site's shaping allows now; when it says "not before T", comes back at T on the timer. */
    private void dispatch(SiteQueue queue) {
        while (!closed && mayStart()) { // else the heartbeat dispatches again when it succeeds
            SiteSuspensions.Hold hold = suspensions.holdOf(queue.site());
            if (hold != null) {
                // an operator's suspension (all nodes, stored): what waits goes back to the database until it ends
                for (SiteQueue.Ready ready : queue.drain()) {
                    hold(ready.job(), queue.site(), hold);
                }
                return;
            }
            SiteQueue.Step step = queue.start(job -> shapingOf(queue.site(), job), liveNodes, System.nanoTime());
            if (step instanceof SiteQueue.Step.Start start) {
                deliver(queue, start.ready(), start.shaping(), start.limits());
            } else {
                if (step instanceof SiteQueue.Step.Later later && queue.wakeAt(later.atNanos())) {
                    long at = later.atNanos();
                    timers.schedule(() -> {
                        queue.woke(at);
                        dispatch(queue);
                    }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                return;
            }
        }
    }

    private SiteShaping shapingOf(String site, DeliveryJob job) {
        return shaping.resolve(site, job.domain());
    }

    private void deliver(SiteQueue queue, SiteQueue.Ready ready, SiteShaping siteShaping, SiteLimits siteLimits) {
        DeliveryJob job = ready.job();
        ClaimedMessage m = job.message();
        long started = System.nanoTime();
        running.incrementAndGet();
        contents.content(m.id())
                .flatMap(content -> {
                    Envelope envelope = new Envelope(m.id(), m.reversePath(),
                            job.recipients().stream().map(ClaimedRecipient::address).toList(), content, m.body8bit(),
                            m.smtputf8());
                    return client.deliver(queue.site(), ready.hops(), siteLimits, queue.throttle(), envelope)
                            .map(AttemptResult::outcomes)
                            .onErrorResume(e -> Mono.just(Collections.nCopies(job.recipients().size(),
                                    new DeliveryOutcome.ConnectionFailed(null, e.toString()))))
                            .doOnNext(outcomes -> {
                                Duration took = Duration.ofNanos(System.nanoTime() - started);
                                observer.attempted(queue.site(), outcomes, took);
                                AttemptLog.attempted(m.id(), queue.site(), job.domain(), outcomes, took);
                                applyRules(queue, siteShaping, outcomes);
                            })
                            .flatMap(outcomes -> record(job, content, outcomes, siteShaping.retrySchedule(), queue.site()))
                            .thenReturn(true);
                })
                .switchIfEmpty(Mono.fromRunnable(() -> {
                    // deleted while queued (admin delete): nothing to deliver, nothing to write back
                    log.info("{} is gone from the spool; dropping {} recipients", m.id(), job.recipients().size());
                    window.release(job.recipients().size());
                }))
                .doFinally(signal -> {
                    running.decrementAndGet();
                    queue.finished(System.nanoTime(), job.recipients().size());
                    dispatch(queue);
                    refill(false);
                })
                .subscribe(null, e -> log.error("{} delivery to {} failed unexpectedly", m.id(), queue.site(), e));
    }

    /**
     * The site's reply rules against the remote replies of an attempt that were not positive: a 421 or a provider's
     * throttling text suspends or slows the whole site; a reply no rule matches (a full mailbox, say) stays the
     * business of its recipient alone.
     */
    private void applyRules(SiteQueue queue, SiteShaping siteShaping, List<DeliveryOutcome> outcomes) {
        Set<SmtpReply> replies = new LinkedHashSet<>();
        for (DeliveryOutcome o : outcomes) {
            if (o instanceof DeliveryOutcome.Deferred d && d.remoteHost() != null) {
                replies.add(d.reply());
            } else if (o instanceof DeliveryOutcome.Bounced b && b.remoteHost() != null) {
                replies.add(b.reply());
            }
        }
        for (SiteThrottle.Hit hit : queue.throttle().observe(siteShaping, replies)) {
            log.warn("site {}: rule {} matched \"{}\": {} for {}", queue.site(), hit.rule().name(), hit.reply(),
                    describe(hit.rule().action()), hit.rule().duration());
            observer.ruleMatched(queue.site(), hit.rule().name(), actionName(hit.rule().action()));
        }
    }

    static String actionName(ShapingAction action) {
        return action instanceof ShapingAction.Suspend ? "suspend"
                : action instanceof ShapingAction.LimitConnections ? "connection_limit" : "max_message_rate";
    }

    private static String describe(ShapingAction action) {
        if (action instanceof ShapingAction.LimitConnections c) {
            return "connection_limit " + c.connectionLimit();
        }
        if (action instanceof ShapingAction.LimitMessageRate r) {
            return "max_message_rate " + r.rate();
        }
        return "suspended";
    }

    /** Records outcomes decided without an SMTP transaction (routing). */
    private void finish(DeliveryJob job, byte @Nullable [] content, List<DeliveryOutcome> outcomes) {
        AttemptLog.attempted(job.message().id(), "(routing)", job.domain(), outcomes, Duration.ZERO);
        record(job, content, outcomes, null, null)
                .doFinally(signal -> refill(false))
                .subscribe(null, e -> log.error("{} recording outcomes failed unexpectedly", job.message().id(), e));
    }

    /**
     * Bounce notice first (so a crash in between repeats the notice rather than losing it; the notice's id makes the
     * repeat store nothing), then the write-back; both retried while the database is away, since the recipients stay
     * claimed until then, the notice only until it is stored once. Releases the window.
     */
    private Mono<Void> record(DeliveryJob job, byte @Nullable [] content, List<DeliveryOutcome> outcomes,
                              @Nullable List<Duration> retrySchedule, @Nullable String site) {
        Instant now = clock.instant();
        OutcomeUpdates.Batch batch = updates.of(job, outcomes, now, retrySchedule);
        // the site goes with the rows and events, so the admin summary can group a backlog by site
        List<RecipientUpdate> rows = batch.updates().stream().map(u -> u.atSite(site)).toList();
        if (batch.expired() > 0) {
            observer.expired(batch.expired());
        }
        Mono<Void> notice = batch.failures().isEmpty() ? Mono.empty()
                : (content != null ? Mono.just(content) : contents.content(job.message().id()))
                        .flatMap(c -> bounces.bounced(job.message(), c, batch.failures()));
        // cached: a retried write-back does not repeat a notice that was stored
        Mono<Void> noticeOnce = notice
                .retryWhen(transientRetry(job, "storing the bounce notice"))
                .onErrorResume(e -> !closed && !StorageErrors.isTransient(e), e -> {
                    log.error("{} bounce notice can never be stored ({}); recording the outcomes without it",
                            job.message().id(), e.toString());
                    observer.writeBackFailed();
                    return Mono.empty();
                })
                .cache();
        return retried(job, noticeOnce.then(Mono.defer(() -> store.record(settings.node(), rows))), rows);
    }

    /**
     * Returns the recipients of a job for a suspended site to the queue without an attempt, due again when the
     * suspension ends (an operator's resume makes them due at once).
     */
    private void hold(DeliveryJob job, String site, SiteSuspensions.Hold hold) {
        log.info("{} held: site {} is suspended until {} ({} recipients)", job.message().id(), site, hold.until(),
                job.recipients().size());
        List<RecipientUpdate> held = job.recipients().stream()
                .map(r -> new RecipientUpdate(job.message().id(), r.index(), r.address(), RecipientUpdate.Kind.HELD,
                        hold.until(), null, "site " + site + " suspended: " + hold.reason(), site))
                .toList();
        retried(job, Mono.defer(() -> store.record(settings.node(), held)), held)
                .doFinally(signal -> refill(false))
                .subscribe(null, e -> log.error("{} holding for {} failed unexpectedly", job.message().id(), site, e));
    }

    /**
     * Retries a write-back while the database is away (the recipients stay claimed until then), never one that can
     * never succeed ({@link StorageErrors}): that one parks its recipients instead. Releases the window.
     */
    private Mono<Void> retried(DeliveryJob job, Mono<Void> writeBack, List<RecipientUpdate> rows) {
        return writeBack
                .retryWhen(transientRetry(job, "writing outcomes"))
                .onErrorResume(e -> {
                    if (closed || StorageErrors.isTransient(e)) {
                        log.warn("{} outcomes not written ({}); the recipients return to the queue at the next start",
                                job.message().id(), e.toString());
                        return Mono.empty();
                    }
                    return parked(job, rows, e);
                })
                .doFinally(signal -> window.release(job.recipients().size()));
    }

    private Retry transientRetry(DeliveryJob job, String what) {
        return Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30))
                .filter(e -> !closed && StorageErrors.isTransient(e))
                .doBeforeRetry(s -> log.warn("{} {} failed, retrying: {}", job.message().id(), what,
                        s.failure().toString()));
    }

    /**
     * The write-back failed permanently: instead of looping, the recipients go back to the queue as deferred for
     * {@link #PARKED}, with a reply naming the error and the outcome that could not be recorded (no remote text,
     * which may be what failed), so {@code relay queue} shows them and an operator can bounce, delete or flush them.
     */
    private Mono<Void> parked(DeliveryJob job, List<RecipientUpdate> rows, Throwable error) {
        String state = StorageErrors.sqlStateOf(error);
        log.error("{} outcomes can never be written ({}): parking {} recipients as deferred for {} for an operator",
                job.message().id(), error.toString(), rows.size(), PARKED);
        observer.writeBackFailed();
        Instant until = clock.instant().plus(PARKED);
        List<RecipientUpdate> parked = rows.stream()
                .map(u -> new RecipientUpdate(u.messageId(), u.index(), u.address(), RecipientUpdate.Kind.DEFERRED,
                        until, null, "451 4.3.0 outcome not recorded (storage error "
                        + (state == null ? error.getClass().getSimpleName() : state) + "); the attempt ended "
                        + u.kind().name().toLowerCase(java.util.Locale.ROOT) + ", see the log"))
                .toList();
        return Mono.defer(() -> store.record(settings.node(), parked))
                .retryWhen(transientRetry(job, "parking recipients"))
                .onErrorResume(e -> {
                    log.error("{} parking failed too ({}); the recipients stay in flight until this node restarts",
                            job.message().id(), e.toString());
                    return Mono.empty();
                });
    }

    /**
     * Lifts the suspensions this node's shaping rules hold against {@code site} and starts
     * what waits: an operator's resume through the admin API means now.
     */
    public void resume(String site) {
        SiteQueue queue = sites.get(site);
        if (queue != null) {
            queue.throttle().resume();
            log.info("site {}: resumed", site);
            dispatch(queue);
        }
    }

    /** The shaping state of every site with a queue object: suspension, effective limits, rules in force. */
    public Map<String, SiteThrottle.State> shapingState() {
        Map<String, SiteThrottle.State> out = new java.util.TreeMap<>();
        Instant now = clock.instant();
        sites.forEach((name, q) -> out.put(name, q.throttle().state(now)));
        return out;
    }

    /** The shaping file changed: raised limits take effect now rather than at the next finished delivery. */
    public void shapingChanged() {
        sites.values().forEach(this::dispatch);
    }

    /** Live nodes sharing the database (from the heartbeat); per-site limits are divided among them (floor 1). */
    void liveNodes(int nodes) {
        int n = Math.max(1, nodes);
        if (n != liveNodes) {
            log.info("{} live nodes share the database: per-site limits are divided by {}", n, n);
            liveNodes = n;
        }
    }

    private void evictIdleSites() {
        long idleSince = System.nanoTime() - settings.siteIdle().toNanos();
        sites.values().removeIf(q -> q.idleSince(idleSince));
    }

    /**
     * Stops claiming and starting deliveries, waits up to {@code grace} for running ones to finish and be written
     * back, then returns everything this node still holds to the queue.
     */
    public void drain(Duration grace) {
        closed = true;
        tasks.dispose();
        int dropped = 0;
        for (SiteQueue q : sites.values()) {
            for (SiteQueue.Ready r : q.drain()) {
                dropped += r.job().recipients().size();
            }
        }
        window.release(dropped);
        long deadline = System.nanoTime() + grace.toNanos();
        while (window.used() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (window.used() > 0) {
            log.warn("{} recipients still in flight after {}; they return to the queue", window.used(), grace);
        }
        Long released = store.releaseClaims(settings.node()).onErrorReturn(-1L).block(Duration.ofSeconds(10));
        // the name is free for a restart at once, and other nodes stop counting this one
        store.leave(settings.node()).onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(10));
        log.info("delivery stopped; {} claimed recipients returned to the queue", released);
    }

    @Override
    public void close() {
        if (!closed) {
            drain(Duration.ZERO);
        }
    }
}
