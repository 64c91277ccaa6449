package dev.relay.engine.delivery;

import dev.relay.storage.MessageId;
import java.util.List;
import java.util.Objects;

/**
 * One SMTP transaction to make: the reverse path ("" for the null path), the recipients (all of one domain, at most
 * the site's recipients per message), and the content as stored (unstuffed, CRLF line ends; the client dot-stuffs or
 * sends it in BDAT chunks). {@code body8bit} and {@code smtputf8} say what the next hop must support.
 */
public record Envelope(MessageId id, String reversePath, List<String> recipients, byte[] content, boolean body8bit,
                       boolean smtputf8) {
    public Envelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reversePath, "reversePath");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        Objects.requireNonNull(content, "content");
    }
}
