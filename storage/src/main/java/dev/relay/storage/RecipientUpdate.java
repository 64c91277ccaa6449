package dev.relay.storage;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of one delivery attempt (or of expiry) for one recipient, as the store records it: the recipient's new
 * state and one event row. {@code remoteHost} and {@code reply} are what the next hop said (or the local reason).
 */
public record RecipientUpdate(MessageId messageId, int index, String address, Kind kind,
                              @Nullable Instant nextAttemptAt, @Nullable String remoteHost, @Nullable String reply) {
    /** What happened; DEFERRED is the only non-final kind and needs a next attempt time. */
    public enum Kind {
        DELIVERED((short) 2),
        DEFERRED((short) 3),
        BOUNCED((short) 4),
        EXPIRED((short) 5);

        private final short eventCode;

        Kind(short eventCode) {
            this.eventCode = eventCode;
        }

        /** The {@code event.kind} code; 1 is accepted. */
        public short eventCode() {
            return eventCode;
        }
    }

    public RecipientUpdate {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.DEFERRED) != (nextAttemptAt != null)) {
            throw new IllegalArgumentException("a next attempt time is required for DEFERRED and only for it");
        }
    }

    public boolean isFinal() {
        return kind != Kind.DEFERRED;
    }
}
