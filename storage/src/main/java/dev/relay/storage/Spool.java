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

    /**
     * Like {@link #store}, but the recipients are stored already claimed by {@code node} (in flight), so the
     * node can hand the freshly committed message straight to its scheduler without a claim round trip. Same
     * ownership and completion contract as {@link #store}.
     */
    Mono<Void> storeClaimed(IncomingMessage message, String node);
}
