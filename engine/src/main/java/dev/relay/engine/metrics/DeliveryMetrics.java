package dev.relay.engine.metrics;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.queue.DeliveryObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Delivery meters: per-recipient outcomes and remote reply classes by site, transaction durations by site, expiries.
 * Sites are named by {@code siteTag}, which keeps known providers and static routes and folds every other site into
 * "other", so the number of series stays bounded however many domains the relay sends to.
 */
public final class DeliveryMetrics implements DeliveryObserver {
    public static final List<String> OUTCOMES = List.of("delivered", "deferred", "bounced", "connection_failed");

    private final MeterRegistry registry;
    private final UnaryOperator<String> siteTag;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    private final Counter expired;
    private final @org.jspecify.annotations.Nullable SenderMetrics senders;
    private final Counter writeBackFailures;
    private final Counter fenced;
    private final Counter takenOver;

    public DeliveryMetrics(MeterRegistry registry, UnaryOperator<String> siteTag) {
        this(registry, siteTag, null);
    }

    /** @param senders null: no per-sender counts */
    public DeliveryMetrics(MeterRegistry registry, UnaryOperator<String> siteTag,
                           @org.jspecify.annotations.Nullable SenderMetrics senders) {
        this.senders = senders;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.siteTag = Objects.requireNonNull(siteTag, "siteTag");
        this.expired = Counter.builder(MetricNames.DELIVERY_EXPIRED)
                .description("recipients bounced because their message outlived delivery.max_lifetime")
                .register(registry);
        this.writeBackFailures = Counter.builder(MetricNames.WRITEBACK_FAILURES)
                .description("write-backs (or bounce notices) that failed permanently: not retried, recipients parked")
                .register(registry);
        this.fenced = Counter.builder(MetricNames.WRITEBACK_FENCED)
                .description("recipient updates that changed nothing: no longer in flight for this node (taken over)")
                .register(registry);
        this.takenOver = Counter.builder(MetricNames.CLAIMS_TAKEN_OVER)
                .description("recipients claimed by a node that went silent, returned to the queue by this node")
                .register(registry);
        // zeros rather than absent series for dashboards and alerts
        for (String outcome : OUTCOMES) {
            outcome("other", outcome).increment(0);
        }
        for (String klass : List.of("2xx", "4xx", "5xx", "none")) {
            reply("other", klass).increment(0);
        }
        duration("other");
        for (String kind : List.of("message", "connection")) {
            counters.computeIfAbsent("w|other|" + kind, k -> Counter.builder(MetricNames.SHAPING_RATE_WAITS)
                    .tag(MetricNames.TAG_SITE, "other").tag(MetricNames.TAG_KIND, kind)
                    .description("deliveries (kind=message) or new connections (kind=connection) held back by a rate")
                    .register(registry));
        }
    }

    @Override
    public void attempted(String site, List<DeliveryOutcome> outcomes, Duration took) {
        String tag = siteTag.apply(site);
        duration(tag).record(took);
        for (DeliveryOutcome o : outcomes) {
            String name;
            String klass;
            if (o instanceof DeliveryOutcome.Delivered d) {
                name = "delivered";
                klass = d.reply().code() / 100 + "xx";
            } else if (o instanceof DeliveryOutcome.Deferred d) {
                name = "deferred";
                klass = d.remoteHost() == null ? "none" : d.reply().code() / 100 + "xx";
            } else if (o instanceof DeliveryOutcome.Bounced b) {
                name = "bounced";
                klass = b.remoteHost() == null ? "none" : b.reply().code() / 100 + "xx";
            } else {
                name = "connection_failed";
                klass = "none";
            }
            outcome(tag, name).increment();
            reply(tag, klass).increment();
        }
    }

    @Override
    public void attemptedBy(@org.jspecify.annotations.Nullable String account, List<DeliveryOutcome> outcomes) {
        if (senders != null) {
            senders.attempted(account, outcomes);
        }
    }

    @Override
    public void expired(int recipients) {
        expired.increment(recipients);
    }

    @Override
    public void writeBackFailed() {
        writeBackFailures.increment();
    }

    @Override
    public void claimsTakenOver(long recipients) {
        takenOver.increment(recipients);
    }

    /** For the delivery store: counts fenced updates. */
    public dev.relay.storage.RecordObserver recordObserver() {
        return new dev.relay.storage.RecordObserver() {
            @Override
            public void batchRecorded(int calls, int updates, long nanos) {}

            @Override
            public void batchFailed(int calls, int updates, Throwable cause) {}

            @Override
            public void fenced(long updates) {
                fenced.increment(updates);
            }
        };
    }

    @Override
    public void ruleMatched(String site, String rule, String action) {
        String tag = siteTag.apply(site);
        // rule names come from the shaping files: bounded by configuration like the site tags
        counters.computeIfAbsent("h|" + tag + "|" + rule + "|" + action, k -> Counter.builder(
                        MetricNames.SHAPING_RULE_HITS)
                .tag(MetricNames.TAG_SITE, tag).tag(MetricNames.TAG_RULE, rule).tag(MetricNames.TAG_ACTION, action)
                .description("shaping rules that matched a remote reply and acted on the site").register(registry))
                .increment();
    }

    @Override
    public void rateWaited(String site, String kind) {
        String tag = siteTag.apply(site);
        counters.computeIfAbsent("w|" + tag + "|" + kind, k -> Counter.builder(MetricNames.SHAPING_RATE_WAITS)
                .tag(MetricNames.TAG_SITE, tag).tag(MetricNames.TAG_KIND, kind)
                .description("deliveries (kind=message) or new connections (kind=connection) held back by a rate")
                .register(registry)).increment();
    }

    @Override
    public void returnedForShare(String site, int recipients) {
        String tag = siteTag.apply(site);
        counters.computeIfAbsent("s|" + tag, k -> Counter.builder(MetricNames.QUEUE_SHARE_RETURNS)
                .tag(MetricNames.TAG_SITE, tag)
                .description("claimed recipients returned to the spool unattempted: their site held its share of"
                        + " the window").register(registry)).increment(recipients);
    }

    private Counter outcome(String site, String outcome) {
        return counters.computeIfAbsent("o|" + site + "|" + outcome, k -> Counter.builder(MetricNames.DELIVERY_OUTCOMES)
                .tag(MetricNames.TAG_SITE, site).tag(MetricNames.TAG_OUTCOME, outcome)
                .description("recipients per delivery outcome").register(registry));
    }

    private Counter reply(String site, String klass) {
        return counters.computeIfAbsent("r|" + site + "|" + klass, k -> Counter.builder(MetricNames.DELIVERY_REPLIES)
                .tag(MetricNames.TAG_SITE, site).tag(MetricNames.TAG_CLASS, klass)
                .description("per-recipient final replies from next hops by class (none: no SMTP reply)")
                .register(registry));
    }

    private Timer duration(String site) {
        return durations.computeIfAbsent(site, s -> Timer.builder(MetricNames.DELIVERY_DURATION)
                .tag(MetricNames.TAG_SITE, s)
                .description("one SMTP transaction: connection (or reuse) to the final reply")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry));
    }
}
