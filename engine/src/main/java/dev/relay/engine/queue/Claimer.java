package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.DeliveryStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Claims due recipients from the spool into the window: one claim loop, woken by the poll timer and by whatever
 * frees room, that asks for at most a quarter of the window (no more than there is room for), passes over sites
 * holding their share, prefetches small contents in groups, and hands each claimed message on.
 *
 * <p>Refill rules: the timer always claims (when there is room); any other wake-up claims only while the previous
 * claim came back full ({@code moreDue}: the spool likely has more due now), and a full claim is followed by the next
 * one at once. A wake-up during a claim is kept (the latest one) and looked at when the claim ends.
 *
 * <p>Threads: wake-ups come from any thread through a {@link FluxSink} (which serialises them); the loop is one
 * Reactor pipeline that runs one claim at a time ({@code concatMap} without prefetch), so {@code moreDue} and
 * {@code again} are written by it alone. {@code claimRoom} is atomic because metrics read it.
 */
final class Claimer {
    private static final Logger log = LoggerFactory.getLogger(Claimer.class);
    /** Claimed messages are read in groups of this many, with one content query per group. */
    static final int PREFETCH_GROUP = 256;
    /** Only messages up to this size are prefetched, and at most PREFETCH_BYTES per group: the cache stays useful. */
    static final int PREFETCH_MAX_SIZE = 256 << 10;
    static final long PREFETCH_BYTES = 8L << 20;

    private final DeliveryScheduler.Settings settings;
    private final DeliveryStore store;
    private final Window window;
    private final ContentCache contents;
    private final Supplier<Set<String>> fullSites;
    private final Consumer<ClaimedMessage> claimed;
    private final BooleanSupplier mayClaim;
    private final Scheduler timers;
    /** Window room reserved for the claim query in progress and not yet filled: not "in memory" for metrics. */
    private final AtomicInteger claimRoom = new AtomicInteger();
    private volatile boolean moreDue = true;
    /** The claim that just ended came back full: claim again before taking the next wake-up. */
    private volatile boolean again;
    private volatile @Nullable FluxSink<Boolean> wakes;

    /**
     * @param fullSites the sites claims pass over now (they hold their share of the window)
     * @param claimed   takes each claimed message (its recipients hold window room until written back)
     * @param mayClaim  false while stopping or while the node's lease is in doubt
     */
    Claimer(DeliveryScheduler.Settings settings, DeliveryStore store, Window window, ContentCache contents,
            Supplier<Set<String>> fullSites, Consumer<ClaimedMessage> claimed, BooleanSupplier mayClaim,
            Scheduler timers) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.window = Objects.requireNonNull(window, "window");
        this.contents = Objects.requireNonNull(contents, "contents");
        this.fullSites = Objects.requireNonNull(fullSites, "fullSites");
        this.claimed = Objects.requireNonNull(claimed, "claimed");
        this.mayClaim = Objects.requireNonNull(mayClaim, "mayClaim");
        this.timers = Objects.requireNonNull(timers, "timers");
    }

    /** Starts the loop: a claim at once, then every poll interval and on every {@link #wake}. */
    Disposable start() {
        Flux<Boolean> ticks = Flux.interval(java.time.Duration.ZERO, settings.pollInterval(), timers)
                .map(tick -> Boolean.TRUE);
        Flux<Boolean> woken = Flux.create(sink -> wakes = sink);
        return Flux.merge(ticks, woken)
                .onBackpressureLatest()
                .concatMap(timer -> Mono.defer(() -> claimOnce(timer)).repeat(() -> again).then(), 0)
                .subscribe();
    }

    /** Room was freed or the node may start again: claim if more is due. */
    void wake() {
        FluxSink<Boolean> sink = wakes;
        if (sink != null) {
            sink.next(Boolean.FALSE);
        }
    }

    /** Window room reserved by the claim in progress and not filled yet. */
    int claimRoom() {
        return claimRoom.get();
    }

    private Mono<Void> claimOnce(boolean timer) {
        again = false;
        if (!mayClaim.getAsBoolean() || (!timer && !moreDue)) {
            return Mono.empty();
        }
        int room = window.reserveUpTo(settings.claimSize());
        if (room == 0) {
            return Mono.empty();
        }
        claimRoom.set(room);
        AtomicInteger taken = new AtomicInteger();
        AtomicBoolean settled = new AtomicBoolean();
        // before the end is passed on, so that the next claim sees the room this one left; once only, since a stop
        // may cancel a claim that has already ended (the repeat still holds its subscription)
        Runnable settle = () -> {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            window.release(room - taken.get());
            claimRoom.set(0);
            moreDue = taken.get() == room;
            again = moreDue;
        };
        return store.claimDue(settings.node(), room, fullSites.get())
                .buffer(PREFETCH_GROUP)
                .concatMap(group -> contents.prefetch(prefetchable(group)).thenMany(Flux.fromIterable(group)))
                .doOnNext(m -> {
                    taken.addAndGet(m.recipients().size());
                    claimRoom.addAndGet(-m.recipients().size());
                    claimed.accept(m);
                })
                .doOnTerminate(settle)
                .doOnCancel(settle)
                .then()
                .onErrorResume(e -> {
                    log.warn("claiming due recipients failed: {}", e.toString());
                    return Mono.empty();
                });
    }

    private List<ClaimedMessage> prefetchable(List<ClaimedMessage> group) {
        List<ClaimedMessage> fetch = new ArrayList<>();
        long bytes = 0;
        for (ClaimedMessage m : group) {
            if (m.size() <= PREFETCH_MAX_SIZE && bytes + m.size() <= PREFETCH_BYTES && !contents.has(m.id())) {
                fetch.add(m);
                bytes += m.size();
            }
        }
        return fetch;
    }
}
