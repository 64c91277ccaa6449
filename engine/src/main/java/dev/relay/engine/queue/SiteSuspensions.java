package dev.relay.engine.queue;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Sites an operator suspended (kept in PostgreSQL, so every node honours them). The scheduler asks before it starts
 * each delivery; a job for a suspended site goes back to the queue without an attempt until {@link Hold#until}.
 * Implementations answer from a snapshot: the call is on the delivery path and must not block or do I/O.
 */
public interface SiteSuspensions {
    SiteSuspensions NONE = site -> null;

    /** Why and until when a job for a suspended site is held back. */
    record Hold(Instant until, String reason) {
        public Hold {
            Objects.requireNonNull(until, "until");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The hold for {@code site} now, or null when it is not suspended. */
    @Nullable Hold holdOf(String site);
}
