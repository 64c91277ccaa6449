package dev.relay.engine.metrics;

import dev.relay.engine.queue.DeliveryScheduler;
import dev.relay.storage.PgDeliveryStore;
import dev.relay.storage.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * Queue gauges: the in-memory window, deliveries running, jobs ready per site tag and priority (from the scheduler,
 * refreshed on scrape), and, from the database (refreshed on scrape at most every {@code DATABASE_EVERY}, since it
 * scans the queue), recipients not yet final and the age of the oldest such message per site tag and priority,
 * cluster-wide (every node reports the same figures). Recipients never routed yet have the site tag
 * {@code unrouted}.
 */
public final class QueueMetrics {
    private static final Duration DATABASE_EVERY = Duration.ofSeconds(10);

    private final DeliveryScheduler scheduler;
    private final PgDeliveryStore store;
    private final UnaryOperator<String> siteTag;
    private final Clock clock;
    static final String UNROUTED = "unrouted";
    private static final int PRIORITIES = Priority.values().length;

    private final MultiGauge ready;
    private final MultiGauge depth;
    private final MultiGauge oldestAge;
    private volatile long nextDatabaseRead;

    public QueueMetrics(MeterRegistry registry, DeliveryScheduler scheduler, PgDeliveryStore store,
                        UnaryOperator<String> siteTag, Clock clock) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.store = Objects.requireNonNull(store, "store");
        this.siteTag = Objects.requireNonNull(siteTag, "siteTag");
        this.clock = Objects.requireNonNull(clock, "clock");
        Gauge.builder(MetricNames.QUEUE_IN_MEMORY, scheduler, DeliveryScheduler::inMemory)
                .description("recipients claimed into memory and not yet written back").register(registry);
        Gauge.builder(MetricNames.QUEUE_WINDOW, scheduler, s -> s.windowCapacity())
                .description("most recipients held in memory (delivery.window)").register(registry);
        Gauge.builder(MetricNames.DELIVERY_RUNNING, scheduler, DeliveryScheduler::running)
                .description("SMTP transactions running now").register(registry);
        Gauge.builder(MetricNames.DELIVERY_UNWRITTEN, scheduler, DeliveryScheduler::unwritten)
                .description("deliveries started and not yet written back (running or waiting for the write-back)")
                .register(registry);
        this.depth = MultiGauge.builder(MetricNames.QUEUE_DEPTH)
                .description("recipients not yet final in the database, by site and priority (all nodes)")
                .register(registry);
        this.oldestAge = MultiGauge.builder(MetricNames.QUEUE_OLDEST_AGE).baseUnit("seconds")
                .description("age of the oldest message with recipients not yet final, by site and priority"
                        + " (all nodes)")
                .register(registry);
        publishDepth(List.of(), Instant.EPOCH);
        this.ready = MultiGauge.builder(MetricNames.QUEUE_READY)
                .description("delivery jobs routed and waiting for a connection, by site and priority")
                .register(registry);
    }

    /** Called before each scrape; the database figures are refreshed in the background. */
    public void refresh() {
        Map<String, long[]> waiting = new TreeMap<>();
        scheduler.sites().forEach((site, queue) -> {
            long[] w = waiting.computeIfAbsent(siteTag.apply(site), k -> new long[PRIORITIES]);
            w[Priority.TRANSACTIONAL.ordinal()] += queue.transactional();
            w[Priority.BULK.ordinal()] += queue.bulk();
        });
        ready.register(rows(waiting), true);
        long now = System.nanoTime();
        if (now - nextDatabaseRead >= 0) {
            nextDatabaseRead = now + DATABASE_EVERY.toNanos();
            Instant at = clock.instant();
            store.depth().collectList()
                    .doOnNext(found -> publishDepth(found, at))
                    .onErrorResume(e -> Mono.empty())
                    .subscribe();
        }
    }

    /** Recipients and the oldest message's age per site tag and priority ({@code unrouted}: never routed yet). */
    private void publishDepth(List<PgDeliveryStore.Depth> found, Instant at) {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, long[]> ages = new TreeMap<>();
        for (PgDeliveryStore.Depth d : found) {
            String tag = d.site() == null ? UNROUTED : siteTag.apply(d.site());
            int p = d.priority().ordinal();
            counts.computeIfAbsent(tag, k -> new long[PRIORITIES])[p] += d.recipients();
            long[] a = ages.computeIfAbsent(tag, k -> new long[PRIORITIES]);
            a[p] = Math.max(a[p], Duration.between(d.oldestReceivedAt(), at).toSeconds());
        }
        depth.register(rows(counts), true);
        oldestAge.register(rows(ages), true);
    }

    /** One row per site tag and priority; the {@code other} rows always exist, so the series never vanish. */
    private static List<MultiGauge.Row<?>> rows(Map<String, long[]> bySiteTag) {
        bySiteTag.putIfAbsent(SiteTags.OTHER, new long[PRIORITIES]);
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        bySiteTag.forEach((site, values) -> {
            for (Priority p : Priority.values()) {
                rows.add(MultiGauge.Row.of(Tags.of(MetricNames.TAG_SITE, site, MetricNames.TAG_PRIORITY,
                        p.name().toLowerCase(Locale.ROOT)), values[p.ordinal()]));
            }
        });
        return rows;
    }
}
