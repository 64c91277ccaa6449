package dev.relay.storage;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of one delivery attempt (or of expiry, or of a hold) for one recipient, as the store records it: the
 * recipient's new state and one event row. {@code remoteHost} and {@code reply} are what the next hop said (or the
 * local reason), cleaned and cut by {@link StoredText}; {@code site}, when known, is the site the recipient was routed to, kept on a requeued row.
 */
public record RecipientUpdate(MessageId messageId, int index, String address, Kind kind,
                              @Nullable Instant nextAttemptAt, @Nullable String remoteHost, @Nullable String reply,
                              @Nullable String site) {
    /**
     * What happened; DEFERRED and HELD are the non-final kinds and need a next attempt time. HELD returns a claimed
     * recipient to the queue without an attempt (its site is suspended), so its attempt count stays.
     */
    public enum Kind {
        DELIVERED(EventKind.DELIVERED),
        DEFERRED(EventKind.DEFERRED),
        BOUNCED(EventKind.BOUNCED),
        EXPIRED(EventKind.EXPIRED),
        HELD(EventKind.HELD);

        private final EventKind event;

        Kind(EventKind event) {
            this.event = event;
        }

        public boolean isFinal() {
            return this != DEFERRED && this != HELD;
        }

        /** The event row this update writes. */
        public EventKind event() {
            return event;
        }

        /** The {@code event.kind} code of {@link #event()}. */
        public short eventCode() {
            return event.code();
        }
    }

    public RecipientUpdate {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        if (!kind.isFinal() != (nextAttemptAt != null)) {
            throw new IllegalArgumentException("a next attempt time is required for DEFERRED and HELD, only for them");
        }
        // a next hop controls these: one NUL would fail the whole batch this update is written with
        remoteHost = StoredText.clean(remoteHost);
        reply = StoredText.clean(reply);
        site = StoredText.clean(site);
    }

    /** Without a site (routing did not get that far, or the row is retired anyway). */
    public RecipientUpdate(MessageId messageId, int index, String address, Kind kind, @Nullable Instant nextAttemptAt,
                           @Nullable String remoteHost, @Nullable String reply) {
        this(messageId, index, address, kind, nextAttemptAt, remoteHost, reply, null);
    }

    /** The same update, remembering the site the recipient was routed to. */
    public RecipientUpdate atSite(@Nullable String routedSite) {
        return new RecipientUpdate(messageId, index, address, kind, nextAttemptAt, remoteHost, reply, routedSite);
    }

    public boolean isFinal() {
        return kind.isFinal();
    }
}
