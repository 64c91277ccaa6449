package dev.relay.storage;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One recipient still in the queue, as an operator sees it: its message's envelope facts, its domain and the site it
 * was last routed to (null before its first routing), its state, and when and how its delivery was last tried.
 */
public record QueueEntry(MessageId messageId, int index, String address, String domain, @Nullable String site,
                         State state, @Nullable String claimedBy, int attempts, Instant nextAttemptAt,
                         @Nullable String lastReply, Priority priority, String reversePath, Instant receivedAt) {
    /** {@code queued}: never tried; {@code deferred}: tried and waiting for its next attempt; {@code in_flight}. */
    public enum State {
        QUEUED,
        DEFERRED,
        IN_FLIGHT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static State parse(String label) {
            for (State s : values()) {
                if (s.label().equals(label)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown state '" + label + "' (queued, deferred or in_flight)");
        }

        static State of(int state, int attempts) {
            return state == 1 ? IN_FLIGHT : attempts > 0 ? DEFERRED : QUEUED;
        }
    }

    public QueueEntry {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(reversePath, "reversePath");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }
}
