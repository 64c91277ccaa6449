package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.util.List;
import java.util.Objects;

/** Recipients of one message for one domain: one SMTP transaction (several RCPTs) to that domain's site. */
record DeliveryJob(ClaimedMessage message, String domain, List<ClaimedRecipient> recipients) {
    DeliveryJob {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(domain, "domain");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a job needs at least one recipient");
        }
    }

    /** Splits into jobs of at most {@code max} recipients (a site's recipients-per-message limit). */
    List<DeliveryJob> split(int max) {
        if (recipients.size() <= max) {
            return List.of(this);
        }
        List<DeliveryJob> parts = new java.util.ArrayList<>();
        for (int i = 0; i < recipients.size(); i += max) {
            parts.add(new DeliveryJob(message, domain, recipients.subList(i, Math.min(recipients.size(), i + max))));
        }
        return parts;
    }
}
