package dev.relay.engine.admin;

import dev.relay.engine.bounce.BounceStatus;
import dev.relay.engine.bounce.Diagnostic;
import dev.relay.engine.bounce.DsnBuilder;
import dev.relay.engine.bounce.FailedRecipient;
import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.routing.Resolution;
import dev.relay.engine.routing.Router;
import dev.relay.protocol.EnhancedStatus;
import dev.relay.storage.MessageId;
import dev.relay.storage.PgQueueAdmin;
import dev.relay.storage.Priority;
import dev.relay.storage.QueueEntry;
import dev.relay.storage.QueueRecords.Filter;
import dev.relay.storage.QueueRecords.History;
import dev.relay.storage.QueueRecords.Removal;
import dev.relay.storage.QueueRecords.Resumed;
import dev.relay.storage.QueueRecords.SiteGroup;
import dev.relay.storage.QueueRecords.Suspension;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the admin API does, over {@link PgQueueAdmin}: the summary by site (recipients never routed yet are mapped to
 * their site by this node's router when it has one), operator suspensions (refreshing this node's snapshot at once),
 * and bounces with a DSN through the spool like any other bounce. Every action is logged with its operator.
 */
public final class QueueService {
    /** The summary's site for recipients whose site is not known (not routed yet, or not routable now). */
    public static final String UNROUTED = "(unrouted)";
    /** RFC 3463 5.0.0: the permanent failure an operator's bounce reports. */
    static final EnhancedStatus CANCELLED = new EnhancedStatus(5, 0, 0);
    private static final Duration ROUTING_WAIT = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(QueueService.class);

    private final PgQueueAdmin store;
    private final java.util.function.Consumer<String> localResume;
    private final StoredSuspensions suspensions;
    private final BounceSink bounces;
    private final @Nullable Router router;
    private final Clock clock;

    /** @param router null on a node that does not deliver: never-routed recipients are then {@link #UNROUTED} */
    public QueueService(PgQueueAdmin store, StoredSuspensions suspensions, BounceSink bounces,
                        @Nullable Router router, Clock clock) {
        this(store, suspensions, bounces, router, clock, site -> { });
    }

    /**
     * @param localResume also lifts what this node's shaping rules hold against a resumed site (rule suspensions
     *                    are per node and restore on their own; an operator's resume means "now")
     */
    public QueueService(PgQueueAdmin store, StoredSuspensions suspensions, BounceSink bounces,
                        @Nullable Router router, Clock clock, java.util.function.Consumer<String> localResume) {
        this.localResume = Objects.requireNonNull(localResume, "localResume");
        this.store = Objects.requireNonNull(store, "store");
        this.suspensions = Objects.requireNonNull(suspensions, "suspensions");
        this.bounces = Objects.requireNonNull(bounces, "bounces");
        this.router = router;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** One line of the summary. */
    public record SiteRow(String site, Priority priority, long recipients, long inFlight, long deferred,
                          Instant oldestReceivedAt, @Nullable Instant nextAttemptAt, @Nullable Suspension suspension) {
        SiteRow plus(SiteGroup g) {
            return new SiteRow(site, priority, recipients + g.recipients(), inFlight + g.inFlight(),
                    deferred + g.deferred(), min(oldestReceivedAt, g.oldestReceivedAt()),
                    nextAttemptAt == null ? g.nextAttemptAt() : g.nextAttemptAt() == null ? nextAttemptAt
                            : min(nextAttemptAt, g.nextAttemptAt()), suspension);
        }

        private static Instant min(Instant a, Instant b) {
            return a.isBefore(b) ? a : b;
        }
    }

    /** The summary: rows by site then priority, and every suspension in force (with or without mail queued). */
    public record Summary(List<SiteRow> rows, List<Suspension> suspensions) {}

    public Mono<Summary> summary() {
        return store.summary().collectList()
                .flatMap(groups -> sitesOf(groups).map(sites -> merge(groups, sites)))
                .zipWith(store.suspensions().collectList(), (groups, suspended) -> {
                    Map<String, Suspension> bySite = new TreeMap<>();
                    suspended.forEach(s -> bySite.put(s.site(), s));
                    List<SiteRow> rows = new ArrayList<>();
                    for (SiteRow r : groups) {
                        rows.add(new SiteRow(r.site(), r.priority(), r.recipients(), r.inFlight(), r.deferred(),
                                r.oldestReceivedAt(), r.nextAttemptAt(), bySite.get(r.site())));
                    }
                    return new Summary(rows, suspended);
                });
    }

    /** Maps the domains of never-routed groups to sites through the router, each within {@link #ROUTING_WAIT}. */
    private Mono<Map<String, String>> sitesOf(List<SiteGroup> groups) {
        List<String> domains = groups.stream().filter(g -> g.site() == null && g.domain() != null)
                .map(SiteGroup::domain).distinct().toList();
        Router r = router;
        if (r == null || domains.isEmpty()) {
            return Mono.just(Map.of());
        }
        return Flux.fromIterable(domains)
                .flatMap(d -> r.resolve(d)
                        .map(res -> res instanceof Resolution.Routed routed ? routed.site() : UNROUTED)
                        .timeout(ROUTING_WAIT, Mono.just(UNROUTED))
                        .onErrorReturn(UNROUTED)
                        .map(site -> Map.entry(d, site)), 16)
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    private static List<SiteRow> merge(List<SiteGroup> groups, Map<String, String> sites) {
        Map<String, SiteRow> merged = new LinkedHashMap<>();
        for (SiteGroup g : groups) {
            String site = g.site() != null ? g.site()
                    : g.domain() != null ? sites.getOrDefault(g.domain(), UNROUTED) : UNROUTED;
            String key = site + "\n" + g.priority();
            SiteRow row = merged.get(key);
            merged.put(key, row == null ? new SiteRow(site, g.priority(), g.recipients(), g.inFlight(), g.deferred(),
                    g.oldestReceivedAt(), g.nextAttemptAt(), null) : row.plus(g));
        }
        List<SiteRow> rows = new ArrayList<>(merged.values());
        rows.sort(Comparator.comparing((SiteRow r) -> r.site().equals(UNROUTED)).thenComparing(SiteRow::site)
                .thenComparing(SiteRow::priority));
        return rows;
    }

    public Flux<QueueEntry> list(Filter filter) {
        return store.list(filter);
    }

    public Mono<History> show(MessageId id) {
        return store.show(id);
    }

    public Mono<Long> flush(@Nullable String domain, String actor) {
        return store.flush(domain, actor)
                .doOnNext(n -> log.info("admin {}: flush {}: {} recipients due now", actor,
                        domain == null ? "all" : domain, n));
    }

    public Mono<List<Suspension>> suspensions() {
        return store.suspensions().collectList();
    }

    /** @param forHowLong null: until resumed */
    public Mono<Suspension> suspend(String site, @Nullable Duration forHowLong, String reason, String actor) {
        Instant until = forHowLong == null ? null : clock.instant().plus(forHowLong);
        return store.suspend(site, until, reason, actor)
                .flatMap(s -> suspensions.refresh().thenReturn(s))
                .doOnNext(s -> log.info("admin {}: suspended site {} until {}: {}", actor, site,
                        until == null ? "resumed" : until, reason));
    }

    public Mono<Resumed> resume(String site, String actor) {
        return store.resume(site, actor)
                .flatMap(r -> suspensions.refresh().thenReturn(r))
                .doOnNext(r -> localResume.accept(site))
                .doOnNext(r -> log.info("admin {}: resume site {}: {}", actor, site,
                        r.wasSuspended() ? r.flushed() + " recipients due now" : "was not suspended"));
    }

    public Mono<Removal> delete(MessageId id, String actor) {
        return store.delete(id, actor).doOnNext(r -> logRemoval("delete", actor, r));
    }

    /** A bounce's removal, and whether a DSN was queued (none for the null sender or when nothing was removed). */
    public record Bounced(Removal removal, boolean dsn) {}

    /** Bounces the queued recipients of {@code id}: a DSN to the sender (none for the null sender), then removal. */
    public Mono<Bounced> bounce(MessageId id, String actor, String reason) {
        AtomicBoolean dsn = new AtomicBoolean();
        return store.bounce(id, actor, "bounced by an operator: " + reason, (message, content) -> {
            Instant now = clock.instant();
            BounceStatus why = new BounceStatus(CANCELLED, null, new Diagnostic.LocalReason(
                    "delivery cancelled by the mail administrator: " + reason), false);
            dsn.set(DsnBuilder.needsDsn(message.reversePath()));
            return bounces.bounced(message, content,
                    message.recipients().stream().map(r -> new FailedRecipient(r.address(), why, now)).toList());
        }).doOnNext(r -> logRemoval("bounce", actor, r)).map(r -> new Bounced(r, dsn.get()));
    }

    private static void logRemoval(String action, String actor, Removal r) {
        log.info("{} admin {}: {}: {} recipients removed, {} left in flight", r.id(), actor, action,
                r.removed().size(), r.inFlight().size());
    }
}
