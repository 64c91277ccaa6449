package dev.relay.engine.policy;

import dev.relay.storage.PgSuppressions;
import dev.relay.storage.PgSuppressions.AddressPage;
import dev.relay.storage.SuppressionRecords.Cursor;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Keeps a {@link SuppressionFilter} in step with the suppression list, which the database also writes by itself
 * (the write-back's and the bounce intake's hard bounces and complaints, other nodes' additions): a full load at
 * start, then every {@code interval} the entries created since the newest seen (less {@code overlap}, for
 * transactions that commit after a younger one), and a full rebuild every {@code rebuildEvery} (so deleted entries
 * stop causing false positives) or as soon as the list outgrew the filter. Reads are R2DBC pages, one in memory at a
 * time. A failed read is logged and retried at the next tick; the filter keeps what it had and stops answering
 * "certainly not" once its age passes its maximum.
 *
 * <p>Threads: ticks run one after the other (a tick that overruns delays the next, never overlaps it), on the timer's
 * scheduler and the driver's I/O threads; the fields below are only touched by the tick in progress.
 */
public final class SuppressionFilterRefresher implements Disposable {
    private static final Logger log = LoggerFactory.getLogger(SuppressionFilterRefresher.class);

    /** The suppression list as the refresher reads it: {@code PgSuppressions::count} and {@code ::addresses}. */
    public interface Source {
        Mono<Long> count();

        Flux<AddressPage> addresses(@Nullable Instant since);

        static Source of(PgSuppressions list) {
            return new Source() {
                @Override
                public Mono<Long> count() {
                    return list.count();
                }

                @Override
                public Flux<AddressPage> addresses(@Nullable Instant since) {
                    return list.addresses(since);
                }
            };
        }
    }

    /** Timing of the refreshes; all positive, overlap may be zero. */
    public record Settings(Duration interval, Duration rebuildEvery, Duration overlap) {
        public static final Duration DEFAULT_REBUILD = Duration.ofHours(1);
        public static final Duration DEFAULT_OVERLAP = Duration.ofMinutes(1);

        public Settings {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive, was " + interval);
            }
            if (rebuildEvery.compareTo(interval) < 0) {
                throw new IllegalArgumentException("rebuildEvery must be >= interval, was " + rebuildEvery);
            }
            if (overlap.isNegative()) {
                throw new IllegalArgumentException("overlap must be >= 0, was " + overlap);
            }
        }

        /**
         * For {@code suppression.cache_ttl}: three reads per TTL and a filter trusted for one TTL after the start of
         * its last successful read, so another node's addition is refused within the TTL, as with the cache, even
         * when one or two reads fail.
         */
        public static Settings forCacheTtl(Duration cacheTtl) {
            Duration interval = cacheTtl.dividedBy(3);
            if (interval.isZero()) {
                interval = cacheTtl;
            }
            return new Settings(interval, DEFAULT_REBUILD.compareTo(interval) < 0 ? interval : DEFAULT_REBUILD,
                    DEFAULT_OVERLAP);
        }
    }

    private final SuppressionFilter filter;
    private final Source source;
    private final Settings settings;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong rebuilds = new AtomicLong();
    private volatile @Nullable Disposable timer;
    // touched only by the tick in progress (ticks are serialised by concatMap)
    private @Nullable Instant newestSeen;
    private long lastRebuild;

    public SuppressionFilterRefresher(SuppressionFilter filter, Source source, Settings settings) {
        this.filter = Objects.requireNonNull(filter, "filter");
        this.source = Objects.requireNonNull(source, "source");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Loads the filter now (without waiting for it) and keeps it current every interval on {@code timer}. */
    public SuppressionFilterRefresher start(Scheduler scheduler) {
        timer = Flux.interval(Duration.ZERO, settings.interval(), scheduler)
                .onBackpressureDrop()
                .concatMap(t -> tick(), 1)
                .subscribe();
        return this;
    }

    /** One refresh: a full load when due, else the entries created since the newest seen; never fails. */
    Mono<Void> tick() {
        return Mono.defer(() -> {
            long startedAt = filter.now();
            boolean full = !filter.ready() || filter.overfull()
                    || startedAt - lastRebuild >= settings.rebuildEvery().toNanos();
            return (full ? rebuild(startedAt) : incremental(startedAt))
                    .onErrorResume(e -> {
                        long n = failures.incrementAndGet();
                        log.warn("suppression filter: {} failed ({} failures so far), kept the filter of {}"
                                        + " entries and will retry in {}: {}", full ? "full load" : "refresh", n,
                                filter.entries(), settings.interval(), e.toString());
                        return Mono.empty();
                    });
        });
    }

    private Mono<Void> rebuild(long startedAt) {
        return source.count().flatMap(count -> {
            SuppressionFilter.Rebuild r = filter.rebuild(count);
            Instant[] newest = {null};
            return source.addresses(null)
                    .doOnNext(page -> {
                        page.addresses().forEach(r::put);
                        newest[0] = later(newest[0], page.last());
                    })
                    .then(Mono.fromRunnable(() -> {
                        r.complete(startedAt);
                        newestSeen = newest[0];
                        lastRebuild = startedAt;
                        long n = rebuilds.incrementAndGet();
                        if (n == 1) {
                            log.info("suppression filter: loaded {} entries ({} KiB)", filter.entries(),
                                    filter.bytes() / 1024);
                        }
                    }))
                    .doOnError(e -> r.abandon())
                    .doOnCancel(r::abandon)
                    .then();
        });
    }

    private Mono<Void> incremental(long startedAt) {
        Instant since = newestSeen;
        return source.addresses(since == null ? null : since.minus(settings.overlap()))
                .doOnNext(page -> {
                    page.addresses().forEach(filter::add);
                    newestSeen = later(newestSeen, page.last());
                })
                .then(Mono.fromRunnable(() -> filter.refreshed(startedAt)));
    }

    private static @Nullable Instant later(@Nullable Instant a, @Nullable Cursor last) {
        if (last == null) {
            return a;
        }
        return a == null || last.createdAt().isAfter(a) ? last.createdAt() : a;
    }

    /** Reads of the list that failed (each retried at the next tick). */
    public long failures() {
        return failures.get();
    }

    /** Full loads completed, the first one included. */
    public long rebuilds() {
        return rebuilds.get();
    }

    @Override
    public void dispose() {
        Disposable t = timer;
        if (t != null) {
            t.dispose();
        }
    }

    @Override
    public boolean isDisposed() {
        Disposable t = timer;
        return t == null || t.isDisposed();
    }
}
