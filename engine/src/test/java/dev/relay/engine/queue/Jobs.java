package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;

/** Claimed messages and jobs for queue tests. */
final class Jobs {
    private Jobs() {
    }

    static ClaimedMessage message(String domain, int recipients, Instant receivedAt) {
        List<ClaimedRecipient> rcpts = IntStream.range(0, recipients)
                .mapToObj(i -> new ClaimedRecipient(i, "u" + i + "@" + domain, domain, 0)).toList();
        return new ClaimedMessage(MessageId.newId(), "s@example.org", Priority.TRANSACTIONAL, receivedAt, 100, false,
                false, rcpts);
    }

    static DeliveryJob job(String domain, int recipients, Instant receivedAt) {
        ClaimedMessage m = message(domain, recipients, receivedAt);
        return new DeliveryJob(m, domain, m.recipients());
    }

    static DeliveryScheduler.Settings settings(int window, double share) {
        return new DeliveryScheduler.Settings("n1", window, share, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(20), java.time.Duration.ofMinutes(5));
    }
}
