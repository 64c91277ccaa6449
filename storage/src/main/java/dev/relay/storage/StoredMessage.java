package dev.relay.storage;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A message as read back from the spool; recipients in their original order. */
public record StoredMessage(MessageId id, String reversePath, List<String> recipients, @Nullable String account,
                            Priority priority, Instant receivedAt, int size, byte[] content, String clientAddress,
                            String helo, boolean body8bit, boolean smtputf8) {
    public StoredMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reversePath, "reversePath");
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(helo, "helo");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, was " + size);
        }
    }
}
