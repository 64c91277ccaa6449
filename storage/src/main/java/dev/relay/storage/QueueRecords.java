package dev.relay.storage;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The values {@link PgQueueAdmin} answers with. */
public final class QueueRecords {
    private QueueRecords() {}

    /**
     * Recipients of one site and priority. {@code site} is null for recipients never routed yet; for those the
     * largest groups also name their {@code domain}, so the caller can map them to a site with its router.
     */
    public record SiteGroup(@Nullable String site, @Nullable String domain, Priority priority, long recipients,
                            long inFlight, long deferred, Instant oldestReceivedAt, @Nullable Instant nextAttemptAt) {
        public SiteGroup {
            Objects.requireNonNull(priority, "priority");
            Objects.requireNonNull(oldestReceivedAt, "oldestReceivedAt");
        }
    }

    /** An operator's suspension of a site; {@code until} null: until resumed. */
    public record Suspension(String site, @Nullable Instant until, String reason, String createdBy,
                             Instant createdAt) {
        public Suspension {
            Objects.requireNonNull(site, "site");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(createdBy, "createdBy");
            Objects.requireNonNull(createdAt, "createdAt");
        }
    }

    /** One {@code event} row; {@code kind} is the stored code (see {@link EventKind}). */
    public record Event(Instant at, int kind, @Nullable String recipient, @Nullable Integer attempt,
                        @Nullable String remoteHost, @Nullable String reply, @Nullable String site,
                        @Nullable String actor) {
        public Event {
            Objects.requireNonNull(at, "at");
        }
    }

    /** A message still in the queue with every recipient still to deliver. */
    public record QueuedMessage(MessageId id, String reversePath, @Nullable String account, Priority priority,
                                Instant receivedAt, int size, String clientAddress, String helo,
                                List<QueueEntry> recipients) {
        public QueuedMessage {
            Objects.requireNonNull(id, "id");
            recipients = List.copyOf(recipients);
        }
    }

    /** What is known of a message: itself while queued (else null), and its events. */
    public record History(MessageId id, @Nullable QueuedMessage message, List<Event> events) {
        public History {
            Objects.requireNonNull(id, "id");
            events = List.copyOf(events);
        }
    }

    /**
     * The result of a bounce or delete: {@code found} false when the message is not in the queue; the recipients
     * taken out, and those left alone because a node holds them in flight.
     */
    public record Removal(MessageId id, boolean found, List<String> removed, List<QueueEntry> inFlight) {
        public Removal {
            Objects.requireNonNull(id, "id");
            removed = List.copyOf(removed);
            inFlight = List.copyOf(inFlight);
        }
    }

    /** Filters of {@link PgQueueAdmin#list}; null means any. {@code limit} caps the rows. */
    public record Filter(@Nullable String domain, @Nullable String site, QueueEntry.@Nullable State state,
                         int limit) {
        public Filter {
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be >= 1, was " + limit);
            }
        }
    }

    /** The outcome of a resume: whether the site was suspended, and how many recipients became due now. */
    public record Resumed(boolean wasSuspended, long flushed) {}
}
