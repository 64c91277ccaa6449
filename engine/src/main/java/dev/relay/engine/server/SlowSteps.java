package dev.relay.engine.server;

import dev.relay.protocol.SmtpReply;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import io.netty.buffer.CompositeByteBuf;
import java.util.Locale;
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
        MessageId messageId = MessageId.newId();
        MessageAcceptance.Result result = acceptance.accept(state, step.transaction(), content, step.stats(),
                messageId, services.clock().instant());
        if (result instanceof MessageAcceptance.Accepted accepted) {
            return store(accepted);
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

    /** Stores {@code accepted}; its Step is {@link Step.Stored} after the COMMIT, or a 451 when the spool failed. */
    private Mono<Step> store(MessageAcceptance.Accepted accepted) {
        IncomingMessage incoming = accepted.message();
        long size = incoming.content().readableBytes();
        long started = System.nanoTime();
        return services.spool().store(incoming)
                .then(Mono.<Step>fromSupplier(() -> new Step.Stored(accepted, size, started)))
                .onErrorResume(error -> {
                    log.warn("{} message {} not stored: {}", id, incoming.id(), error.toString());
                    return Mono.just(new Step.Refuse(Rejection.SPOOL_UNAVAILABLE, Replies.SPOOL_UNAVAILABLE));
                });
    }

    /** Counts and logs a stored message, on the event loop that writes the 250 (the accept latency ends there). */
    Step stored(Step.Stored stored) {
        IncomingMessage incoming = stored.accepted().message();
        long size = stored.size();
        services.metrics().messageAccepted(size, System.nanoTime() - stored.startedNanos());
        log.info("{} queued {} from=<{}> recipients={} size={} priority={}{}", id, incoming.id(),
                LogText.escape(incoming.reversePath()), incoming.recipients().size(), size,
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
