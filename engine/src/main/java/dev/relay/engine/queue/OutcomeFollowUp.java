package dev.relay.engine.queue;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * What else follows once a job's outcomes are recorded (the suppression of addresses its bounces showed dead; later
 * events for webhooks). Called after the write-back committed, once per recorded attempt; a failure here is logged by
 * the recorder and never turns into a retry of the write-back. Must not block.
 */
@FunctionalInterface
public interface OutcomeFollowUp {
    OutcomeFollowUp NONE = (message, recipients, outcomes) -> Mono.empty();

    /** {@code outcomes.get(i)} is the outcome of {@code recipients.get(i)}. */
    Mono<Void> recorded(ClaimedMessage message, List<ClaimedRecipient> recipients, List<DeliveryOutcome> outcomes);
}
