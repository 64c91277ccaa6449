package dev.relay.engine.admin;

import dev.relay.engine.queue.SiteSuspensions;
import dev.relay.storage.PgQueueAdmin;
import dev.relay.storage.QueueRecords.Suspension;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Operator suspensions as the scheduler sees them: a snapshot of {@code site_suspension} refreshed every
 * {@link #REFRESH} (and at once after a change made through this node), so another node's suspend or resume takes
 * effect here within seconds and the delivery path never waits for the database. When a refresh fails the last
 * snapshot stays. A job held for a suspension without an end comes back every {@link #RECHECK} to look again
 * (a resume makes the site's recipients due at once anyway).
 */
public final class StoredSuspensions implements SiteSuspensions, AutoCloseable {
    static final Duration REFRESH = Duration.ofSeconds(5);
    static final Duration RECHECK = Duration.ofHours(1);
    private static final Logger log = LoggerFactory.getLogger(StoredSuspensions.class);

    private final PgQueueAdmin store;
    private final Clock clock;
    private volatile Map<String, Suspension> snapshot = Map.of();
    /** Refreshes started, and the latest one whose answer was applied: an older, slower answer never wins. */
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private @Nullable Disposable task;

    public StoredSuspensions(PgQueueAdmin store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Reads the table now (so a node starts with the suspensions in force), then every {@link #REFRESH}. */
    public StoredSuspensions start(Scheduler timers) {
        refresh().block(Duration.ofSeconds(30));
        task = Flux.interval(REFRESH, REFRESH, timers).onBackpressureDrop()
                .concatMap(tick -> refresh().onErrorResume(e -> {
                    log.warn("reading site suspensions failed (keeping the last ones): {}", e.toString());
                    return Mono.empty();
                }))
                .subscribe();
        return this;
    }

    /**
     * Re-reads the table. Refreshes may overlap (the timer's and one after a change); the answer of a refresh that
     * started earlier is dropped once a later one was applied, so a resume is never undone by a stale read.
     */
    public Mono<Void> refresh() {
        return Mono.defer(() -> {
            long generation = started.incrementAndGet();
            return store.suspensions().collectMap(Suspension::site, Function.identity())
                    .doOnNext(m -> apply(generation, Map.copyOf(m)));
        }).then();
    }

    private synchronized void apply(long generation, Map<String, Suspension> read) {
        if (generation > applied.get()) {
            applied.set(generation);
            snapshot = read;
        }
    }

    /** The suspensions in force, by site. */
    public Map<String, Suspension> current() {
        Instant now = clock.instant();
        return snapshot.values().stream().filter(s -> s.until() == null || s.until().isAfter(now))
                .collect(Collectors.toUnmodifiableMap(Suspension::site, s -> s));
    }

    @Override
    public @Nullable Hold holdOf(String site) {
        Suspension s = snapshot.get(site);
        if (s == null) {
            return null;
        }
        Instant now = clock.instant();
        if (s.until() != null && !s.until().isAfter(now)) {
            return null;
        }
        return new Hold(s.until() != null ? s.until() : now.plus(RECHECK), s.reason());
    }

    @Override
    public void close() {
        Disposable t = task;
        if (t != null) {
            t.dispose();
        }
    }
}
