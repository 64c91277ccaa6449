package dev.relay.storage;

import reactor.core.publisher.Mono;

/** The durable store of accepted messages. */
public interface Spool {
    /**
     * Stores the message; completes only after COMMIT. Takes ownership of the content buffer and
     * releases it exactly once (success, failure or cancel), provided the returned Mono is subscribed
     * once. Errors with {@link SpoolUnavailableException} when the database cannot take it.
     */
    Mono<Void> store(IncomingMessage message);
}
