package dev.relay.engine.queue;

import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.delivery.DeliveryClient;
import dev.relay.engine.routing.Router;
import dev.relay.engine.shaping.Shaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.MessageId;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Wires the delivery path of this node and is its one entry point: the {@link Claimer} fills the {@link Window} from
 * the spool, {@link Routing} finds each domain's site, the {@link SiteDispatcher} queues per site and starts deliveries, the {@link AttemptRunner}
 * runs them, the {@link OutcomeRecorder} writes the outcomes back, the {@link NodeHeartbeat} keeps the node's lease.
 * Freshly accepted messages arrive through {@link #reserve}/{@link #offer} without a database round trip.
 *
 * <p>Nodes sharing the database: write-backs are fenced by claim (they change only rows still in flight for this
 * node); a node that has not heartbeat for half the stale period starts nothing, and one whose heartbeats were apart
 * by the whole stale period drops what waits in memory and returns its remaining claims once its running deliveries
 * are written back. A write-back that can never succeed (a permanent storage error) is parked for an operator.
 *
 * <p>Threads: its own mutable state is {@code closed} (written once by {@link #drain}, volatile) and the periodic
 * tasks (a thread-safe composite); everything else lives in the pieces, which say who owns theirs.
 */
public final class DeliveryScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeliveryScheduler.class);
    private static final long CONTENT_CACHE_BYTES = 64L << 20;
    /** An accept whose commit outcome was unknown: its claimed rows are returned after these delays. */
    static final List<Duration> UNCERTAIN_CHECKS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(4));
    /** How long a stop waits for the store to take back this node's claims and its name. */
    private static final Duration STOP_STORE_WAIT = Duration.ofSeconds(10);

    /**
     * How this node takes part: its name, window, the share of the window one site may hold (0 to 1), poll and
     * heartbeat periods, when idle site queues go, and how many deliveries may be started and not yet written back
     * ({@code writeBackLimit}: running ones plus those whose outcomes wait for their write-back; at the limit no
     * delivery starts until a write-back ends, and a crash re-delivers at most this many).
     */
    public record Settings(String node, int window, double siteShare, Duration pollInterval, Duration heartbeat,
                           Duration staleAfter, Duration siteIdle, int writeBackLimit) {
        /**
         * Well above the connections one node keeps open (so it never limits a healthy node), well below the store's
         * queue of record calls (so a write-back is never refused as "queue full").
         */
        public static final int DEFAULT_WRITE_BACK_LIMIT = 4096;

        public Settings {
            Objects.requireNonNull(node, "node");
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1, was " + window);
            }
            if (writeBackLimit < 1) {
                throw new IllegalArgumentException("writeBackLimit must be >= 1, was " + writeBackLimit);
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

        public Settings(String node, int window, double siteShare, Duration pollInterval, Duration heartbeat,
                        Duration staleAfter, Duration siteIdle) {
            this(node, window, siteShare, pollInterval, heartbeat, staleAfter, siteIdle, DEFAULT_WRITE_BACK_LIMIT);
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

    /** One site's ready queue now: jobs waiting per lane and deliveries running. */
    public record SiteSnapshot(int transactional, int bulk, int running) {}

    private final Settings settings;
    private final DeliveryStore store;
    private final Scheduler timers;
    private final Window window;
    private final ContentCache contents;
    private final AttemptRunner attempts;
    private final SiteDispatcher dispatcher;
    private final Routing routing;
    private final Claimer claimer;
    private final NodeHeartbeat heartbeat;
    private final Disposable.Composite tasks = Disposables.composite();
    private volatile boolean closed;

    /** @param suspensions sites suspended by an operator: their jobs are held back, not delivered */
    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, SiteSuspensions suspensions, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, Clock clock, Scheduler timers) {
        this(settings, store, router, client, shaping, suspensions, retry, bounces, observer,
                TimeSource.system(Objects.requireNonNull(clock, "clock")), timers);
    }

    /** @param time the wall clock and the monotonic ticker every piece uses (tests pass fake ones) */
    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, SiteSuspensions suspensions, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, TimeSource time, Scheduler timers) {
        this(settings, store, router, client, shaping, suspensions, retry, bounces, observer, time, timers,
                OutcomeFollowUp.NONE);
    }

    /** @param followUp what follows recorded outcomes (the suppression of dead addresses) */
    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, SiteSuspensions suspensions, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, TimeSource time, Scheduler timers, OutcomeFollowUp followUp) {
        this(settings, store, router, client, shaping, suspensions, retry, bounces, observer, time, timers, followUp,
                ReturnPath.ORIGINAL);
    }

    /** {@code returnPath}: the MAIL FROM of each delivery (VERP or the stored reverse path). */
    public DeliveryScheduler(Settings settings, DeliveryStore store, Router router, DeliveryClient client,
                             Shaping shaping, SiteSuspensions suspensions, RetrySchedule retry, BounceSink bounces,
                             DeliveryObserver observer, TimeSource time, Scheduler timers, OutcomeFollowUp followUp,
                             ReturnPath returnPath) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.window = new Window(settings.window());
        this.contents = new ContentCache(store, CONTENT_CACHE_BYTES, Duration.ofMinutes(5));
        OutcomeRecorder recorder = new OutcomeRecorder(settings.node(), store,
                new OutcomeUpdates(Objects.requireNonNull(retry, "retry")), bounces, contents, observer, window, time,
                timers, () -> closed, this::wakeClaimer, followUp);
        this.attempts = new AttemptRunner(client, contents, recorder, observer, time, returnPath);
        this.heartbeat = new NodeHeartbeat(settings, store, observer, time, timers, window, () -> closed,
                this::dropWaiting, this::resumed);
        this.dispatcher = new SiteDispatcher(settings, store, shaping, suspensions, observer, window, recorder,
                attempts, time, timers, returnPath, heartbeat::mayStart, () -> closed,
                heartbeat::liveNodes, this::wakeClaimer);
        this.routing = new Routing(router, dispatcher, recorder, window, () -> closed);
        this.claimer = new Claimer(settings, store, window, contents, dispatcher::fullSites, routing::accept,
                () -> !closed && heartbeat.mayStart(), timers);
    }

    /**
     * Refuses to start while another live node heartbeats under this node's name; then returns this node's leftover
     * claims to the queue and starts claiming, heartbeats and eviction.
     */
    public Mono<Long> start() {
        return heartbeat.nameFree().then(store.releaseClaims(settings.node()))
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("returned {} recipients left in flight by node {} to the queue", n, settings.node());
                    }
                    tasks.add(heartbeat.started());
                    tasks.add(claimer.start());
                    tasks.add(Flux.interval(settings.siteIdle(), settings.siteIdle(), timers)
                            .subscribe(tick -> dispatcher.evictIdle()));
                });
    }

    private void wakeClaimer() {
        claimer.wake();
    }

    private int dropWaiting() {
        return dispatcher.dropWaiting();
    }

    private void resumed() {
        dispatcher.dispatchAll();
        claimer.wake();
    }

    /**
     * Reserves window room for a message the front door is about to store as claimed by this node; false when the
     * window is full (the message is then stored queued and claimed later).
     */
    public boolean reserve(int recipients) {
        return !closed && heartbeat.mayStart() && window.tryReserve(recipients);
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
        contents.put(message, content);
        routing.accept(message);
    }

    public String node() {
        return settings.node();
    }

    /** Recipients held in memory now. */
    public int inMemory() {
        return Math.max(0, window.used() - claimer.claimRoom());
    }

    /** Deliveries (SMTP transactions) running now. */
    public int running() {
        return attempts.running();
    }

    /**
     * Deliveries started and not yet written back: running, or with their final reply in and their outcomes waiting
     * for the write-back. At {@link Settings#writeBackLimit} no delivery starts until a write-back ends.
     */
    public int unwritten() {
        return dispatcher.unwritten();
    }

    /** Every site with a queue object now (for metrics and the admin API). */
    public Map<String, SiteSnapshot> sites() {
        return dispatcher.snapshot();
    }

    public int windowCapacity() {
        return window.capacity();
    }

    /**
     * Lifts the suspensions this node's shaping rules hold against {@code site} and starts
     * what waits: an operator's resume through the admin API means now.
     */
    public void resume(String site) {
        dispatcher.resume(site);
    }

    /** The shaping state of every site with a queue object: suspension, effective limits, rules in force. */
    public Map<String, SiteThrottle.State> shapingState() {
        return dispatcher.shapingState();
    }

    /** The shaping file changed: raised limits take effect now rather than at the next finished delivery. */
    public void shapingChanged() {
        dispatcher.dispatchAll();
    }

    /**
     * Stops claiming and starting deliveries, waits up to {@code grace} for running ones to finish and be written
     * back (on the window's signal, not by polling), then returns everything this node still holds to the queue.
     * Called from the stopping thread, never an event loop: it blocks.
     */
    public void drain(Duration grace) {
        closed = true;
        tasks.dispose();
        dispatcher.dropWaiting();
        boolean empty = Boolean.TRUE.equals(window.whenEmpty().thenReturn(true)
                .timeout(grace, Mono.just(false), timers)
                .block());
        if (!empty) {
            log.warn("{} recipients still in flight after {}; they return to the queue", window.used(), grace);
        }
        Long released = store.releaseClaims(settings.node()).onErrorReturn(-1L).block(STOP_STORE_WAIT);
        // the name is free for a restart at once, and other nodes stop counting this one
        store.leave(settings.node()).onErrorResume(e -> Mono.empty()).block(STOP_STORE_WAIT);
        log.info("delivery stopped; {} claimed recipients returned to the queue", released);
    }

    @Override
    public void close() {
        if (!closed) {
            drain(Duration.ZERO);
        }
    }
}
