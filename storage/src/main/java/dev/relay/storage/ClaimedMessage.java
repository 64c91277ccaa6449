package dev.relay.storage;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Recipients of one message that this node claimed for delivery (state in flight, claimed by this node), with the
 * envelope facts delivery needs but without the content, which is loaded when a connection is ready for it.
 * {@code reversePath} is "" for the null path; {@code account} is the AUTH user that submitted it (null: a client
 * relaying from {@code relay_networks} without AUTH), the sender whose suppression list its bounces feed.
 */
public record ClaimedMessage(MessageId id, String reversePath, Priority priority, Instant receivedAt, int size,
                             boolean body8bit, boolean smtputf8, List<ClaimedRecipient> recipients,
                             @Nullable String account) {
    public ClaimedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reversePath, "reversePath");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(receivedAt, "receivedAt");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a claimed message needs at least one recipient");
        }
    }

    /** Without an account (submitted without AUTH). */
    public ClaimedMessage(MessageId id, String reversePath, Priority priority, Instant receivedAt, int size,
                          boolean body8bit, boolean smtputf8, List<ClaimedRecipient> recipients) {
        this(id, reversePath, priority, receivedAt, size, body8bit, smtputf8, recipients, null);
    }
}
