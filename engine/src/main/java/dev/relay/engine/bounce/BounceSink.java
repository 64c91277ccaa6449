package dev.relay.engine.bounce;

import dev.relay.storage.ClaimedMessage;
import java.util.List;
import reactor.core.publisher.Mono;

/** Tells the sender about recipients that failed for good (a DSN through the spool). */
public interface BounceSink {
    BounceSink NONE = (message, content, failures) -> Mono.empty();

    /**
     * Completes once the notice is durably queued (or at once when no notice is due, e.g. for the null reverse
     * path); errors when it could not be stored, so the caller keeps the recipients and tries again.
     */
    Mono<Void> bounced(ClaimedMessage message, byte[] content, List<FailedRecipient> failures);
}
