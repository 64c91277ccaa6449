package dev.relay.engine.intake;

import dev.relay.engine.outcomes.BounceClassifier;
import dev.relay.engine.outcomes.BounceSuppression;
import dev.relay.engine.outcomes.Classification;
import dev.relay.engine.outcomes.VerpResult;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.report.BounceReport;
import dev.relay.protocol.report.BounceReportParser;
import dev.relay.storage.EventKind;
import dev.relay.storage.PgBounceIntake;
import dev.relay.storage.PgBounceIntake.IntakeEvent;
import dev.relay.storage.PgBounceIntake.Linked;
import dev.relay.storage.PgSuppressions;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Takes one report that came back to the bounce domain (its bytes already cut to {@code bounces.verp.max_report_size}
 * by the session) and the verified tokens of its RCPTs: parses it on {@code parsing} (a bounded pool, never an event
 * loop), links each token to its recipient, and records what the report says about that recipient ({@link
 * IntakeVerdict}): a bounced or deferred event with category and class, suppression by the rules of {@link
 * BounceSuppression}; a complaint, and an abuse complaint's suppression; an auto-reply; or the report kept with its
 * reason in {@code bounce_kept}. The reply comes after everything is written: {@code 250} once recorded, {@code 451}
 * when the database failed (the sending MTA tries again; at worst an event is recorded twice). No mutable state.
 */
public final class BounceIntake {
    private static final Logger log = LoggerFactory.getLogger(BounceIntake.class);
    static final SmtpReply RECORDED = SmtpReply.of(250, "2.0.0", "Ok: report recorded");
    static final SmtpReply UNAVAILABLE = SmtpReply.of(451, "4.3.0", "Report not recorded now, try again later");

    private final BounceReportParser parser;
    private final BounceClassifier classifier;
    private final PgBounceIntake store;
    private final BounceSuppression suppression;
    private final PgSuppressions complaints;
    private final Consumer<String> suppressed;
    private final IntakeMetrics metrics;
    private final Scheduler parsing;

    /**
     * @param suppressed hears of every address a complaint added (the RCPT cache forgets it); hard bounces tell it
     *     through {@code suppression}
     */
    public BounceIntake(BounceReportParser parser, BounceClassifier classifier, PgBounceIntake store,
                        BounceSuppression suppression, PgSuppressions complaints, Consumer<String> suppressed,
                        IntakeMetrics metrics, Scheduler parsing) {
        this.parser = Objects.requireNonNull(parser, "parser");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.store = Objects.requireNonNull(store, "store");
        this.suppression = Objects.requireNonNull(suppression, "suppression");
        this.complaints = Objects.requireNonNull(complaints, "complaints");
        this.suppressed = Objects.requireNonNull(suppressed, "suppressed");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.parsing = Objects.requireNonNull(parsing, "parsing");
    }

    /** The reply to the end of DATA of a report to {@code tokens}; never errors. */
    public Mono<SmtpReply> receive(String session, List<VerpResult.Valid> tokens, byte[] report, String client) {
        return Mono.fromCallable(() -> parser.parse(report))
                .subscribeOn(parsing)
                .flatMap(parsed -> Flux.fromIterable(tokens)
                        .concatMap(token -> take(session, token, parsed, report, client))
                        .then(Mono.just(RECORDED)))
                .onErrorResume(e -> {
                    metrics.result("failed");
                    log.warn("{} bounce report not recorded: {}", session, e.toString());
                    return Mono.just(UNAVAILABLE);
                });
    }

    private Mono<Void> take(String session, VerpResult.Valid token, BounceReport report, byte[] bytes,
                            String client) {
        // (record completes empty: the link's absence must be decided before it, not by switchIfEmpty after it)
        return store.link(token.messageId(), token.recipientIndex())
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty())
                .flatMap(linked -> linked.isPresent()
                        ? record(session, token, linked.get(), IntakeVerdict.of(report, linked.get().address(),
                                classifier), bytes, client)
                        : keep(session, token, "the recipient of the token is no longer known (message "
                                + token.messageId() + ", recipient " + token.recipientIndex() + ")", bytes, client));
    }

    private Mono<Void> record(String session, VerpResult.Valid token, Linked linked, IntakeVerdict verdict,
                              byte[] bytes, String client) {
        String address = linked.address();
        String sender = linked.sender() == null ? "" : linked.sender();
        String scope = sender.isEmpty() ? BounceSuppression.GLOBAL : sender;
        if (verdict instanceof IntakeVerdict.Bounce b) {
            Classification c = b.classification();
            EventKind kind = b.failed() ? EventKind.BOUNCED : EventKind.DEFERRED;
            Mono<Void> follow = suppression.follow(scope, address, c, b.failed(), b.reply());
            return store.record(event(token, linked, sender, kind, b.remoteMta(), b.reply(), c.category().key(),
                            c.bounceClass().key()))
                    .then(follow == null ? Mono.empty() : follow)
                    .doOnSuccess(v -> {
                        metrics.result(b.failed() ? "bounced" : "deferred");
                        log.info("{} bounce for {} of {}: {} {} ({}, rule {})", session, address,
                                token.messageId(), kind.label(), c.category().key(), c.bounceClass().key(), c.rule());
                    });
        }
        if (verdict instanceof IntakeVerdict.Complaint complaint) {
            String detail = "feedback-type " + complaint.feedbackType();
            Mono<Void> suppress = !complaint.abuse() ? Mono.empty()
                    : complaints.addComplaint(scope, address, detail).doOnSuccess(a -> suppressed.accept(address))
                    .then();
            return store.record(event(token, linked, sender, EventKind.COMPLAINED, null, detail, "complaint", null))
                    .then(suppress)
                    .doOnSuccess(v -> {
                        metrics.result("complaint");
                        log.info("{} complaint ({}) for {} of {}", session, complaint.feedbackType(), address,
                                token.messageId());
                    });
        }
        if (verdict instanceof IntakeVerdict.AutoReply auto) {
            return store.record(event(token, linked, sender, EventKind.AUTO_REPLIED, null, auto.reason(), null,
                            null))
                    .doOnSuccess(v -> {
                        metrics.result("auto_reply");
                        log.info("{} auto-reply for {} of {}", session, address, token.messageId());
                    });
        }
        if (verdict instanceof IntakeVerdict.NotAFailure n) {
            metrics.result("not_a_failure");
            log.info("{} DSN '{}' for {} of {}: nothing failed", session, n.action(), address, token.messageId());
            return Mono.empty();
        }
        return keep(session, token, ((IntakeVerdict.Keep) verdict).reason(), bytes, client);
    }

    private Mono<Void> keep(String session, VerpResult.@Nullable Valid token, String reason, byte[] bytes,
                            String client) {
        return store.keep(reason, token == null ? null : token.messageId(),
                        token == null ? null : token.recipientIndex(), client, bytes)
                .doOnNext(id -> {
                    metrics.result("kept");
                    log.info("{} bounce report kept as {}: {}", session, id, reason);
                })
                .then();
    }

    private static IntakeEvent event(VerpResult.Valid token, Linked linked, String sender, EventKind kind,
                                     @Nullable String remoteHost, @Nullable String reply, @Nullable String category,
                                     @Nullable String bounceClass) {
        return new IntakeEvent(token.messageId(), linked.address(), token.recipientIndex(), sender, kind,
                remoteHost, reply, category, bounceClass);
    }
}
