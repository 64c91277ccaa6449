package dev.relay.engine.queue;

import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.RecipientUpdate;
import dev.relay.storage.StorageErrors;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * Writes what happened to claimed recipients back to the spool: outcomes of an attempt or of routing (bounce notice
 * first), holds for suspended sites, and the parking of a write-back that can never succeed. Every write releases the
 * recipients' window room once it is done or given up. The place where outcome classification, suppression and
 * events plug in.
 *
 * <p>Threads: no mutable state of its own; it runs on whichever thread completes the attempt or the store call, and
 * retries on the timer scheduler.
 */
final class OutcomeRecorder {
    private static final Logger log = LoggerFactory.getLogger(OutcomeRecorder.class);
    /** When a write-back can never succeed, its recipients are due again after this (time for an operator). */
    static final Duration PARKED = Duration.ofHours(1);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final String node;
    private final DeliveryStore store;
    private final OutcomeUpdates updates;
    private final BounceSink bounces;
    private final ContentCache contents;
    private final DeliveryObserver observer;
    private final Window window;
    private final TimeSource time;
    private final Scheduler timers;
    private final BooleanSupplier closed;
    /** A write ended and released window room. */
    private final Runnable written;
    private final OutcomeFollowUp followUp;

    OutcomeRecorder(String node, DeliveryStore store, OutcomeUpdates updates, BounceSink bounces,
                    ContentCache contents, DeliveryObserver observer, Window window, TimeSource time,
                    Scheduler timers, BooleanSupplier closed, Runnable written) {
        this(node, store, updates, bounces, contents, observer, window, time, timers, closed, written,
                OutcomeFollowUp.NONE);
    }

    OutcomeRecorder(String node, DeliveryStore store, OutcomeUpdates updates, BounceSink bounces,
                    ContentCache contents, DeliveryObserver observer, Window window, TimeSource time,
                    Scheduler timers, BooleanSupplier closed, Runnable written, OutcomeFollowUp followUp) {
        this.followUp = Objects.requireNonNull(followUp, "followUp");
        this.node = Objects.requireNonNull(node, "node");
        this.store = Objects.requireNonNull(store, "store");
        this.updates = Objects.requireNonNull(updates, "updates");
        this.bounces = Objects.requireNonNull(bounces, "bounces");
        this.contents = Objects.requireNonNull(contents, "contents");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.window = Objects.requireNonNull(window, "window");
        this.time = Objects.requireNonNull(time, "time");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.closed = Objects.requireNonNull(closed, "closed");
        this.written = Objects.requireNonNull(written, "written");
    }

    /** Records outcomes decided without an SMTP transaction (routing). */
    void routed(DeliveryJob job, List<DeliveryOutcome> outcomes) {
        AttemptLog.attempted(job.message().id(), "(routing)", job.domain(), outcomes, Duration.ZERO);
        record(job, null, outcomes, null, null)
                .doFinally(signal -> written.run())
                .subscribe(null, e -> log.error("{} recording outcomes failed unexpectedly", job.message().id(), e));
    }

    /**
     * Bounce notice first (so a crash in between repeats the notice rather than losing it; the notice's id makes the
     * repeat store nothing), then the write-back; both retried while the database is away, since the recipients stay
     * claimed until then, the notice only until it is stored once. Releases the window.
     */
    Mono<Void> record(DeliveryJob job, byte @Nullable [] content, List<DeliveryOutcome> outcomes,
                      @Nullable List<Duration> retrySchedule, @Nullable String site) {
        OutcomeUpdates.Batch batch = updates.of(job, outcomes, time.now(), retrySchedule);
        // the site goes with the rows and events, so the admin summary can group a backlog by site
        List<RecipientUpdate> rows = batch.updates().stream().map(u -> u.atSite(site)).toList();
        if (batch.expired() > 0) {
            observer.expired(batch.expired());
        }
        Mono<Void> notice = batch.failures().isEmpty() ? Mono.empty()
                : (content != null ? Mono.just(content) : contents.content(job.message()))
                        .flatMap(c -> bounces.bounced(job.message(), c, batch.failures()));
        // cached: a retried write-back does not repeat a notice that was stored
        Mono<Void> noticeOnce = notice
                .retryWhen(transientRetry(job, "storing the bounce notice"))
                .onErrorResume(e -> !closed.getAsBoolean() && !StorageErrors.isTransient(e), e -> {
                    log.error("{} bounce notice can never be stored ({}); recording the outcomes without it",
                            job.message().id(), e.toString());
                    observer.writeBackFailed();
                    return Mono.empty();
                })
                .cache();
        return retried(job, noticeOnce.then(Mono.defer(() -> store.record(node, rows)))
                .then(Mono.defer(() -> followUp(job, outcomes))), rows);
    }

    /** After the commit: a follow-up's failure is logged, never a reason to write the outcomes again. */
    private Mono<Void> followUp(DeliveryJob job, List<DeliveryOutcome> outcomes) {
        return Mono.defer(() -> followUp.recorded(job.message(), job.recipients(), outcomes))
                .onErrorResume(e -> {
                    log.warn("{} following up recorded outcomes failed: {}", job.message().id(), e.toString());
                    return Mono.empty();
                });
    }

    /**
     * Returns the recipients of a job for a suspended site to the queue without an attempt, due again when the
     * suspension ends (an operator's resume makes them due at once).
     */
    void hold(DeliveryJob job, String site, SiteSuspensions.Hold hold) {
        log.info("{} held: site {} is suspended until {} ({} recipients)", job.message().id(), site, hold.until(),
                job.recipients().size());
        List<RecipientUpdate> held = job.recipients().stream()
                .map(r -> new RecipientUpdate(job.message().id(), r.index(), r.address(), RecipientUpdate.Kind.HELD,
                        hold.until(), null, "site " + site + " suspended: " + hold.reason(), site))
                .toList();
        retried(job, Mono.defer(() -> store.record(node, held)), held)
                .doFinally(signal -> written.run())
                .subscribe(null, e -> log.error("{} holding for {} failed unexpectedly", job.message().id(), site, e));
    }

    /** A job whose message is gone from the spool (an operator deleted it): nothing to write, its room goes. */
    void gone(DeliveryJob job) {
        log.info("{} is gone from the spool; dropping {} recipients", job.message().id(), job.recipients().size());
        window.release(job.recipients().size());
    }

    /**
     * Retries a write-back while the database is away (the recipients stay claimed until then), never one that can
     * never succeed ({@link StorageErrors}): that one parks its recipients instead. Releases the window.
     */
    private Mono<Void> retried(DeliveryJob job, Mono<Void> writeBack, List<RecipientUpdate> rows) {
        return writeBack
                .retryWhen(transientRetry(job, "writing outcomes"))
                .onErrorResume(e -> {
                    if (closed.getAsBoolean() || StorageErrors.isTransient(e)) {
                        log.warn("{} outcomes not written ({}); the recipients return to the queue at the next start",
                                job.message().id(), e.toString());
                        return Mono.empty();
                    }
                    return parked(job, rows, e);
                })
                .doFinally(signal -> window.release(job.recipients().size()));
    }

    private Retry transientRetry(DeliveryJob job, String what) {
        return Retry.backoff(Long.MAX_VALUE, FIRST_RETRY).maxBackoff(MAX_RETRY).scheduler(timers)
                .filter(e -> !closed.getAsBoolean() && StorageErrors.isTransient(e))
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
        Instant until = time.now().plus(PARKED);
        List<RecipientUpdate> parked = rows.stream()
                .map(u -> new RecipientUpdate(u.messageId(), u.index(), u.address(), RecipientUpdate.Kind.DEFERRED,
                        until, null, "451 4.3.0 outcome not recorded (storage error "
                        + (state == null ? error.getClass().getSimpleName() : state) + "); the attempt ended "
                        + u.kind().name().toLowerCase(Locale.ROOT) + ", see the log"))
                .toList();
        return Mono.defer(() -> store.record(node, parked))
                .retryWhen(transientRetry(job, "parking recipients"))
                .onErrorResume(e -> {
                    log.error("{} parking failed too ({}); the recipients stay in flight until this node restarts",
                            job.message().id(), e.toString());
                    return Mono.empty();
                });
    }

    static List<Integer> indexes(DeliveryJob job) {
        return job.recipients().stream().map(ClaimedRecipient::index).toList();
    }
}
