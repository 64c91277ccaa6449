package dev.relay.engine.queue;

import dev.relay.storage.DeliveryStore;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Keeps this node's lease on its claims: the node-name check at start, the heartbeat (takeovers of silent nodes
 * logged, the live node count), and the reset after a lost lease (waiting recipients dropped, the remaining claims
 * returned once running deliveries are written back).
 *
 * <p>Threads: the heartbeat is one Reactor pipeline that runs one beat at a time ({@code concatMap} without
 * prefetch) on the timer and the store's threads; that pipeline alone writes {@code lease}, {@code resetting} and
 * {@code liveNodes} once started ({@link #started} runs before it). They are volatile because claims, dispatchers
 * and the front door read them from any thread.
 */
final class NodeHeartbeat {
    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);
    /** How often a starting node looks whether its name is still heartbeat by someone else. */
    static final Duration NAME_CHECK = Duration.ofMillis(500);

    private final DeliveryScheduler.Settings settings;
    private final DeliveryStore store;
    private final DeliveryObserver observer;
    private final TimeSource time;
    private final Scheduler timers;
    private final Window window;
    private final BooleanSupplier closed;
    /** Drops every waiting job (releasing its window room) and says how many recipients went. */
    private final IntSupplier dropWaiting;
    /** Starting is allowed again: dispatch what waits and claim. */
    private final Runnable resumed;
    private volatile NodeLease lease;
    /** After a lost lease: nothing starts until this node's remaining claims are returned. */
    private volatile boolean resetting;
    private volatile int liveNodes = 1;

    NodeHeartbeat(DeliveryScheduler.Settings settings, DeliveryStore store, DeliveryObserver observer, TimeSource time,
                  Scheduler timers, Window window, BooleanSupplier closed, IntSupplier dropWaiting, Runnable resumed) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.time = Objects.requireNonNull(time, "time");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.window = Objects.requireNonNull(window, "window");
        this.closed = Objects.requireNonNull(closed, "closed");
        this.dropWaiting = Objects.requireNonNull(dropWaiting, "dropWaiting");
        this.resumed = Objects.requireNonNull(resumed, "resumed");
        this.lease = new NodeLease(settings.staleAfter(), time.nanos());
    }

    /**
     * Waits while this node's name has a recent heartbeat: a crashed predecessor's stops changing and goes stale (at
     * most {@code staleAfter}), a live node's advances, which fails the start. A clean stop frees the name at once.
     */
    Mono<Void> nameFree() {
        String node = settings.node();
        Duration stale = settings.staleAfter();
        return store.lastBeat(node).flatMap(first -> {
            if (first.age().compareTo(stale) >= 0) {
                return Mono.<Void>empty();
            }
            log.info("node name {} heartbeat {} ms ago: waiting up to {} to see whether another node uses it", node,
                    first.age().toMillis(), stale.minus(first.age()));
            return Flux.interval(NAME_CHECK, timers)
                    .concatMap(tick -> store.lastBeat(node).map(Optional::of).defaultIfEmpty(Optional.empty()))
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

    /** The start returned this node's earlier claims: the silence before it does not count. Then beats begin. */
    Disposable started() {
        lease = new NodeLease(settings.staleAfter(), time.nanos());
        return Flux.interval(Duration.ZERO, settings.heartbeat(), timers)
                .onBackpressureDrop()
                .concatMap(tick -> beat(), 0) // no tick queued behind a hanging heartbeat
                .subscribe();
    }

    /** May a delivery, claim or hand-off start now (heartbeat recent, no reset pending)? */
    boolean mayStart() {
        return !resetting && lease.mayStart(time.nanos());
    }

    /** Live nodes sharing the database (from the heartbeat); per-site limits are divided among them (floor 1). */
    int liveNodes() {
        return liveNodes;
    }

    /** One heartbeat: the lease, takeovers of stale nodes' claims (logged), the live node count. */
    Mono<Void> beat() {
        long sent = time.nanos();
        return store.heartbeat(settings.node(), settings.staleAfter())
                .flatMap(hb -> {
                    hb.takenOver().forEach((node, n) -> {
                        log.warn("node {} silent for more than {}: took over its {} claimed recipients (returned to"
                                + " the queue)", node, settings.staleAfter(), n);
                        observer.claimsTakenOver(n);
                    });
                    return beaten(sent, time.nanos(), hb.sincePrevious());
                })
                .then(Mono.defer(() -> store.liveNodes(settings.staleAfter())))
                .doOnNext(this::liveNodes)
                .then()
                .onErrorResume(e -> {
                    log.warn("heartbeat failed: {}{}", e.toString(), lease.mayStart(time.nanos()) ? ""
                            : "; starting no deliveries until it succeeds");
                    return Mono.empty();
                });
    }

    private Mono<Void> beaten(long sent, long answered, @Nullable Duration sincePrevious) {
        NodeLease.Beat beat = lease.beat(sent, answered, sincePrevious);
        if (beat == NodeLease.Beat.LOST && !resetting) {
            resetting = true;
            int dropped = dropWaiting.getAsInt();
            log.warn("no heartbeat for {} or more: other nodes may have taken this node's claims; dropped {} waiting"
                    + " recipients, the rest return to the queue once running deliveries are written back",
                    settings.staleAfter(), dropped);
        } else if (beat == NodeLease.Beat.RESUMED) {
            log.info("heartbeat succeeded again within {}: starting deliveries again", settings.staleAfter());
        }
        if (resetting) {
            return finishReset();
        }
        if (beat != NodeLease.Beat.STEADY) {
            resumed.run();
        }
        return Mono.empty();
    }

    /** After a lost lease, once nothing of this node runs or waits: whatever it still has claimed goes back. */
    private Mono<Void> finishReset() {
        if (window.used() > 0 || closed.getAsBoolean()) {
            return Mono.empty(); // the next heartbeat looks again
        }
        return store.releaseClaims(settings.node())
                .doOnNext(n -> {
                    log.info("returned this node's {} remaining claimed recipients to the queue; starting deliveries"
                            + " again", n);
                    resetting = false;
                    resumed.run();
                })
                .then()
                .onErrorResume(e -> {
                    log.warn("returning claims after a lost heartbeat failed, retrying: {}", e.toString());
                    return Mono.empty();
                });
    }

    private void liveNodes(int nodes) {
        int n = Math.max(1, nodes);
        if (n != liveNodes) {
            log.info("{} live nodes share the database: per-site limits are divided by {}", n, n);
            liveNodes = n;
        }
    }
}
