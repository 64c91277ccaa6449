package dev.relay.engine.identity;

import dev.relay.engine.metrics.MetricNames;
import dev.relay.storage.SystemRecords.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * This node's copy of the connected systems: a snapshot read whole from PostgreSQL every {@code refresh_interval},
 * so a change made on any node (a disabled system, a revoked credential, a new domain) is in force on every node
 * within that interval, plus the time of one read. A failed read keeps the last snapshot (the database being down
 * must not turn every system away) and is counted in {@code relay_systems_refreshes_total{result="failed"}}; the age
 * of the snapshot in force is a gauge, so an alert can say when a node works from an old copy.
 *
 * <p>The snapshot is an immutable value swapped atomically: readers on event loops never lock and never wait.
 * Periodic refreshes are serialised by {@code concatMap} on {@code scheduler}, but an admin change refreshes at once
 * and may overlap one: a read is installed only if no read that started after it is already in force, so a periodic
 * read that began before the change and ends after the admin's read cannot put the old state back. Listeners run on
 * the thread that completed the read, after the swap.
 */
public final class SystemDirectory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemDirectory.class);

    private final Supplier<Mono<Snapshot>> loader;
    private final Duration interval;
    private final Scheduler scheduler;
    private final LongSupplier nanoTime;
    private volatile Identities current = Identities.EMPTY;
    /** Reads started so far; each read is numbered when it starts. */
    private final AtomicLong reads = new AtomicLong();
    /** The number of the read in force (guarded by {@code this}). */
    private long installedRead;
    private final AtomicLong loadedAtNanos;
    private final List<Consumer<Identities>> listeners = new CopyOnWriteArrayList<>();
    private final Counter succeeded;
    private final Counter failed;
    private volatile @Nullable Disposable loop;

    public SystemDirectory(Supplier<Mono<Snapshot>> loader, Duration interval, Scheduler scheduler,
                           MeterRegistry registry, LongSupplier nanoTime) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.nanoTime = nanoTime;
        this.loadedAtNanos = new AtomicLong(nanoTime.getAsLong());
        this.succeeded = Counter.builder(MetricNames.SYSTEMS_REFRESHES).tag(MetricNames.TAG_RESULT, "ok")
                .description("reads of the connected systems into this node's snapshot").register(registry);
        this.failed = Counter.builder(MetricNames.SYSTEMS_REFRESHES).tag(MetricNames.TAG_RESULT, "failed")
                .description("reads of the connected systems into this node's snapshot").register(registry);
        Gauge.builder(MetricNames.SYSTEMS_SNAPSHOT_AGE, this, d -> d.ageNanos() / 1e9).baseUnit("seconds")
                .description("age of the connected-systems snapshot in force on this node").register(registry);
    }

    /** The snapshot in force. */
    public Identities current() {
        return current;
    }

    /** Called with every new snapshot (the authenticator drops verified logins that are no longer valid). */
    public void onRefresh(Consumer<Identities> listener) {
        listeners.add(listener);
    }

    /** Reads the snapshot now; an error is returned to the caller, the last snapshot stays in force. */
    public Mono<Identities> refresh() {
        return Mono.defer(() -> {
            long read = reads.incrementAndGet();
            return loader.get().map(snapshot -> {
                succeeded.increment();
                Identities next = new Identities(snapshot);
                if (!install(read, next)) {
                    return current; // a read that started later is in force already
                }
                for (Consumer<Identities> l : listeners) {
                    l.accept(next);
                }
                return next;
            });
        }).doOnError(e -> failed.increment());
    }

    private synchronized boolean install(long read, Identities next) {
        if (read < installedRead) {
            return false;
        }
        installedRead = read;
        current = next;
        loadedAtNanos.set(nanoTime.getAsLong());
        return true;
    }

    /** Starts the periodic refresh (the first read is the caller's, so a start can wait for it). */
    public SystemDirectory start() {
        loop = Flux.interval(interval, interval, scheduler)
                .onBackpressureDrop()
                .concatMap(tick -> refresh().onErrorResume(e -> {
                    log.warn("connected systems not refreshed, keeping the snapshot of {} s ago: {}",
                            ageNanos() / 1_000_000_000L, e.toString());
                    return Mono.empty();
                }), 0)
                .subscribe();
        return this;
    }

    long ageNanos() {
        return nanoTime.getAsLong() - loadedAtNanos.get();
    }

    @Override
    public void close() {
        Disposable d = loop;
        if (d != null) {
            d.dispose();
        }
    }
}
