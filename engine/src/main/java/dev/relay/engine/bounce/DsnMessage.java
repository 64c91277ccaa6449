package dev.relay.engine.bounce;

import java.util.Arrays;
import java.util.Objects;

/**
 * A DSN ready for the spool: sent with the null reverse path to {@code recipient}. {@code body8bit}: the content has
 * 8-bit octets (needs 8BITMIME); {@code smtputf8}: the recipient or a top-level header field is UTF-8 (needs
 * SMTPUTF8).
 */
public record DsnMessage(String recipient, byte[] content, boolean body8bit, boolean smtputf8) {
    public DsnMessage {
        Objects.requireNonNull(recipient, "recipient");
        content = Objects.requireNonNull(content, "content").clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DsnMessage m && recipient.equals(m.recipient) && Arrays.equals(content, m.content)
                && body8bit == m.body8bit && smtputf8 == m.smtputf8;
    }

    @Override
    public int hashCode() {
        return Objects.hash(recipient, Arrays.hashCode(content), body8bit, smtputf8);
    }

    @Override
    public String toString() {
        return "DsnMessage[to " + recipient + ", " + content.length + " bytes, 8bit=" + body8bit + ", smtputf8="
                + smtputf8 + "]";
    }
}
