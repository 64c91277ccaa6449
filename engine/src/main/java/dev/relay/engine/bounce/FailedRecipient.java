package dev.relay.engine.bounce;

import java.time.Instant;
import java.util.Objects;

/** One recipient a DSN reports on: its envelope address, why it failed, and when we last tried. */
public record FailedRecipient(String address, BounceStatus why, Instant lastAttempt) {
    public FailedRecipient {
        Dsn.checkAddress(address, "address");
        Objects.requireNonNull(why, "why");
        Objects.requireNonNull(lastAttempt, "lastAttempt");
    }
}
