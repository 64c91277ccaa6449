package dev.relay.engine.server;

import dev.relay.engine.dkim.MessageSigning;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The steps a session waits for, the acceptance and COMMIT of a message and the suppression lookup, each as a
 * {@code Mono} of the {@link Step} to carry out once it is done. Called on the session's event loop, completed on
 * whatever thread finishes the work; they only read the session's state: the session pauses its input, then
 * carries the Step out on its event loop.
 */
final class SlowSteps {
    /** The session's logger: these are its log lines, under the name operators filter on. */
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionServices services;
    private final String id;
    private final MessageAcceptance acceptance;

    SlowSteps(SessionServices services, String id) {
        this.services = services;
        this.id = id;
        this.acceptance = new MessageAcceptance(services.config(), services::identities);
    }

    /**
     * Accepts the complete content of the message that ends {@code step} ({@link MessageAcceptance}, which takes
     * ownership of {@code content}) and stores it; a refusal is logged and its Step is ready at once.
     */
    Mono<Step> accept(SessionState state, Step.AcceptMessage step, CompositeByteBuf content) {
        if (step.transaction().isIntake()) {
            return intake(state, step.transaction(), content);
        }
        MessageId messageId = MessageId.newId();
        MessageAcceptance.Result result = acceptance.accept(state, step.transaction(), content, step.stats(),
                messageId, services.clock().instant());
        if (result instanceof MessageAcceptance.Accepted accepted) {
            if (!services.signing().mayAct(state.user)) {
                return store(accepted);
            }
            return sign(accepted, state.user).flatMap(signed -> signed instanceof Step.Refuse
                    ? Mono.just(signed) : store(accepted));
        }
        MessageAcceptance.Refused refused = (MessageAcceptance.Refused) result;
        if (refused.reason() == Rejection.LOOP) {
            log.info("{} refused from=<{}>: more than {} Received fields (mail loop)", id,
                    LogText.escape(step.transaction().reversePath()), refused.detail());
        } else if (refused.reason() == Rejection.SENDER_DOMAIN) {
            log.info("{} refused from=<{}>: {}", id, LogText.escape(step.transaction().reversePath()),
                    LogText.escape(refused.detail()));
        } else {
            log.warn("{} message {} refused by the spool: {}", id, messageId, refused.detail());
        }
        return Mono.just(new Step.Refuse(refused.reason(), refused.reply()));
    }

    /**
     * Signs {@code accepted} on the signing scheduler (the body hash and the private-key operations are CPU work,
     * not for an event loop), putting the DKIM-Signature fields on top of its content: the last change before the
     * COMMIT, so the stored bytes are what every attempt sends. Emits {@link Step.Refuse} (the content released) when
     * the message must not be sent; anything else means "store it".
     */
    private Mono<Step> sign(MessageAcceptance.Accepted accepted, @Nullable String user) {
        IncomingMessage incoming = accepted.message();
        Instant now = services.clock().instant();
        return Mono.fromCallable(() -> services.signing().sign(incoming.content(), user, now))
                .subscribeOn(services.signingScheduler())
                .<Step>map(outcome -> {
                    if (outcome instanceof MessageSigning.Signed signed) {
                        if (!(incoming.content() instanceof CompositeByteBuf content)) {
                            // MessageAcceptance always hands over the composite it assembled
                            throw new IllegalStateException("content is not a composite buffer");
                        }
                        content.addComponent(true, 0, Unpooled.wrappedBuffer(signed.fields()));
                        log.debug("{} message {} signed for {} ({})", id, incoming.id(), signed.domain(),
                                String.join(", ", signed.selectors()));
                        return new Step.Reply(Replies.OK);
                    }
                    if (outcome instanceof MessageSigning.Refused refused) {
                        incoming.content().release();
                        log.info("{} message {} refused from=<{}>: no active DKIM key for {}", id, incoming.id(),
                                LogText.escape(incoming.reversePath()), LogText.escape(refused.domain()));
                        return new Step.Refuse(Rejection.DKIM_KEY_MISSING, refused.reply());
                    }
                    return new Step.Reply(Replies.OK);
                })
                .onErrorResume(error -> {
                    incoming.content().release();
                    log.warn("{} message {} not signed: {}", id, incoming.id(), error.toString());
                    return Mono.just(new Step.Refuse(Rejection.DKIM_FAILED, Replies.DKIM_FAILED));
                });
    }

    /**
     * Hands a report to the bounce domain's intake: its first {@code max_report_size} bytes, copied out (the
     * buffer goes back at once), parsed and recorded off the event loop; the reply waits for the records.
     */
    private Mono<Step> intake(SessionState state, Transaction transaction, CompositeByteBuf content) {
        byte[] report;
        try {
            int n = (int) Math.min(content.readableBytes(), services.intake().maxReportSize());
            report = new byte[n];
            content.getBytes(content.readerIndex(), report);
        } finally {
            content.release();
        }
        var intake = Objects.requireNonNull(services.intake().intake(), "intake");
        log.info("{} bounce report from=<{}> for {} token(s), {} bytes read", id,
                LogText.escape(transaction.reversePath()), transaction.bounceTokens().size(), report.length);
        return intake.receive(id, List.copyOf(transaction.bounceTokens()), report, state.client.getHostAddress())
                .map(Step.Reply::new);
    }

    /**
     * Stores {@code accepted}; its Step is {@link Step.Stored} after the COMMIT, or a 451 when the spool failed.
     * Recipients accepted although suppressed are recorded after it: when others were queued, a failure to record
     * them is logged, not answered 451 (a retry would deliver the others twice; the suppressed ones are never
     * queued either way); when every recipient was suppressed, the record is the acceptance and its failure a 451.
     */
    private Mono<Step> store(MessageAcceptance.Accepted accepted) {
        IncomingMessage incoming = accepted.message();
        long size = incoming.content().readableBytes();
        long started = System.nanoTime();
        Mono<Void> write;
        if (accepted.storesContent()) {
            write = services.spool().store(incoming);
            if (!accepted.suppressed().isEmpty()) {
                write = write.then(Mono.defer(() -> recordSuppressed(accepted))
                        .onErrorResume(error -> {
                            log.warn("{} message {}: suppressed recipients not recorded: {}", id, incoming.id(),
                                    error.toString());
                            return Mono.empty();
                        }));
            }
        } else {
            incoming.content().release(); // nothing to deliver: the content is never read
            write = Mono.defer(() -> recordSuppressed(accepted));
        }
        return write
                .then(Mono.<Step>fromSupplier(() -> new Step.Stored(accepted, size, started)))
                .onErrorResume(error -> {
                    log.warn("{} message {} not stored: {}", id, incoming.id(), error.toString());
                    return Mono.just(new Step.Refuse(Rejection.SPOOL_UNAVAILABLE, Replies.SPOOL_UNAVAILABLE));
                });
    }

    private Mono<Void> recordSuppressed(MessageAcceptance.Accepted accepted) {
        IncomingMessage m = accepted.message();
        String sender = m.account() == null ? "" : m.account();
        return services.suppression().record(new SuppressionCheck.SuppressedRecipients(m.id(), sender,
                accepted.suppressed(), accepted.suppressedReplies(), !accepted.storesContent(),
                m.clientMessageId()));
    }

    /** Counts and logs a stored message, on the event loop that writes the 250 (the accept latency ends there). */
    Step stored(Step.Stored stored) {
        IncomingMessage incoming = stored.accepted().message();
        long size = stored.size();
        services.metrics().messageAccepted(size, System.nanoTime() - stored.startedNanos(), incoming.account());
        MessageAcceptance.Accepted accepted = stored.accepted();
        int queued = accepted.storesContent() ? incoming.recipients().size() : 0;
        log.info("{} queued {} from=<{}> recipients={}{} size={} priority={}{}", id, incoming.id(),
                LogText.escape(incoming.reversePath()), queued,
                accepted.suppressed().isEmpty() ? "" : " suppressed=" + accepted.suppressed().size(), size,
                incoming.priority().name().toLowerCase(Locale.ROOT),
                stored.accepted().priorityFromHeader() ? " (header)" : "");
        return new Step.Reply(SmtpReply.of(250, "2.0.0", "Ok: queued as " + incoming.id()));
    }

    /**
     * Asks the suppression list about an RCPT the cache could not answer; its Step is the answer, or a 451 when the
     * list could not be read: a recipient is never accepted unchecked.
     */
    Mono<Step> checkRecipient(Step.CheckRecipient step) {
        return services.suppression().check(step.scope(), step.address())
                .<Step>map(verdict -> new Step.RecipientChecked(step.mailbox(), verdict))
                .onErrorResume(error -> {
                    log.warn("{} suppression lookup failed for RCPT: {}", id, error.toString());
                    return Mono.just(new Step.Refuse(Rejection.SUPPRESSION_UNAVAILABLE,
                            Replies.SUPPRESSION_UNAVAILABLE));
                });
    }
}
