package dev.relay.engine.queue;

import dev.relay.engine.delivery.AttemptResult;
import dev.relay.engine.delivery.DeliveryClient;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.delivery.Envelope;
import dev.relay.engine.shaping.ShapingAction;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Runs one delivery attempt that a site's queue started: the content (cached or read), the SMTP transaction through
 * the client, the attempt's log line and metrics, the site's reply rules, then hands the outcomes to the
 * {@link OutcomeRecorder} without waiting for their write-back: the slot is free at the final reply.
 *
 * <p>Threads: the attempt runs on the client's event loop and the store's threads; the only mutable state is the
 * atomic count of running attempts, read by metrics.
 */
final class AttemptRunner {
    private static final Logger log = LoggerFactory.getLogger(AttemptRunner.class);

    private final DeliveryClient client;
    private final ContentCache contents;
    private final OutcomeRecorder recorder;
    private final DeliveryObserver observer;
    private final TimeSource time;
    private final ReturnPath returnPath;
    private final AtomicInteger running = new AtomicInteger();

    AttemptRunner(DeliveryClient client, ContentCache contents, OutcomeRecorder recorder, DeliveryObserver observer,
                  TimeSource time) {
        this(client, contents, recorder, observer, time, ReturnPath.ORIGINAL);
    }

    AttemptRunner(DeliveryClient client, ContentCache contents, OutcomeRecorder recorder, DeliveryObserver observer,
                  TimeSource time, ReturnPath returnPath) {
        this.returnPath = Objects.requireNonNull(returnPath, "returnPath");
        this.client = Objects.requireNonNull(client, "client");
        this.contents = Objects.requireNonNull(contents, "contents");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.time = Objects.requireNonNull(time, "time");
    }

    /** Deliveries (SMTP transactions) running now. */
    int running() {
        return running.get();
    }

    /**
     * Runs the transaction; completes (never errors) at its final reply, when {@code ended} has run: the slot and
     * its connection are free then. The outcomes go on to the write-back, which runs on its own and calls
     * {@code written} once they are written or given up (the recipients hold their window room until then). Each
     * callback runs exactly once, whichever way the attempt ends (a message gone from the spool, an unexpected
     * failure, a cancellation).
     */
    Mono<Void> attempt(SiteQueue queue, SiteQueue.Step.Start start, Runnable ended, Runnable written) {
        DeliveryJob job = start.ready().job();
        ClaimedMessage m = job.message();
        SiteShaping siteShaping = start.shaping();
        Runnable endedOnce = once(ended);
        Runnable writtenOnce = once(written);
        return Mono.defer(() -> {
            long started = time.nanos();
            running.incrementAndGet();
            AtomicBoolean recording = new AtomicBoolean();
            return contents.content(m)
                    .flatMap(content -> {
                        Envelope envelope = new Envelope(m.id(), returnPath.of(m, job.recipients()),
                                job.recipients().stream().map(ClaimedRecipient::address).toList(), content,
                                m.body8bit(), m.smtputf8());
                        return client.deliver(queue.site(), start.ready().hops(), start.limits(), queue.throttle(),
                                        envelope)
                                .map(AttemptResult::outcomes)
                                .onErrorResume(e -> Mono.just(Collections.nCopies(job.recipients().size(),
                                        new DeliveryOutcome.ConnectionFailed(null, e.toString()))))
                                .doOnNext(outcomes -> {
                                    Duration took = Duration.ofNanos(time.nanos() - started);
                                    observer.attempted(queue.site(), outcomes, took);
                                    observer.attemptedBy(m.account(), outcomes);
                                    AttemptLog.attempted(m.id(), queue.site(), job.domain(), outcomes, took);
                                    applyRules(queue, siteShaping, outcomes);
                                    // queued before the slot is given back: write-backs are queued in the order
                                    // their transactions ended
                                    recorder.record(job, content, outcomes, siteShaping.retrySchedule(), queue.site())
                                            .doFinally(signal -> writtenOnce.run())
                                            .subscribe(null, e -> log.error("{} writing back outcomes failed"
                                                    + " unexpectedly", m.id(), e));
                                    recording.set(true);
                                    contents.attempted(m.id(), job.recipients().size());
                                })
                                .thenReturn(true);
                    })
                    // deleted while queued (admin delete): nothing to deliver, nothing to write back
                    .switchIfEmpty(Mono.fromRunnable(() -> recorder.gone(job)))
                    .onErrorResume(e -> {
                        log.error("{} delivery to {} failed unexpectedly", m.id(), queue.site(), e);
                        return Mono.empty();
                    })
                    .doFinally(signal -> {
                        running.decrementAndGet();
                        endedOnce.run();
                        if (!recording.get()) {
                            writtenOnce.run(); // nothing goes to the write-back: the recipients are done here
                        }
                    })
                    .then();
        });
    }

    private static Runnable once(Runnable r) {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                r.run();
            }
        };
    }

    /**
     * The site's reply rules against the remote replies of an attempt that were not positive: a 421 or a provider's
     * throttling text suspends or slows the whole site; a reply no rule matches (a full mailbox, say) stays the
     * business of its recipient alone.
     */
    private void applyRules(SiteQueue queue, SiteShaping siteShaping, List<DeliveryOutcome> outcomes) {
        Set<SmtpReply> replies = new LinkedHashSet<>();
        for (DeliveryOutcome o : outcomes) {
            if (o instanceof DeliveryOutcome.Deferred d && d.remoteHost() != null) {
                replies.add(d.reply());
            } else if (o instanceof DeliveryOutcome.Bounced b && b.remoteHost() != null) {
                replies.add(b.reply());
            }
        }
        for (SiteThrottle.Hit hit : queue.throttle().observe(siteShaping, replies)) {
            log.warn("site {}: rule {} matched \"{}\": {} for {}", queue.site(), hit.rule().name(), hit.reply(),
                    describe(hit.rule().action()), hit.rule().duration());
            observer.ruleMatched(queue.site(), hit.rule().name(), actionName(hit.rule().action()));
        }
    }

    static String actionName(ShapingAction action) {
        return action instanceof ShapingAction.Suspend ? "suspend"
                : action instanceof ShapingAction.LimitConnections ? "connection_limit" : "max_message_rate";
    }

    private static String describe(ShapingAction action) {
        if (action instanceof ShapingAction.LimitConnections c) {
            return "connection_limit " + c.connectionLimit();
        }
        if (action instanceof ShapingAction.LimitMessageRate r) {
            return "max_message_rate " + r.rate();
        }
        return "suspended";
    }
}
