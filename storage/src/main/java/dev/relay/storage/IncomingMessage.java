package dev.relay.storage;

import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An accepted message on its way into the spool. {@code reversePath} is "" for the null path.
 * {@link Spool#store} takes ownership of {@code content} and releases it exactly once; if this
 * constructor throws, the caller still owns it. {@code clientMessageId}: its Message-ID field's value, normalised
 * here ({@link ClientMessageId}), stored with its accepted event for the history; null when unknown.
 */
public record IncomingMessage(MessageId id, String reversePath, List<String> recipients, @Nullable String account,
                              Priority priority, Instant receivedAt, boolean body8bit, boolean smtputf8,
                              String clientAddress, String helo, ByteBuf content, @Nullable String clientMessageId) {
    /** Without a Message-ID for the history. */
    public IncomingMessage(MessageId id, String reversePath, List<String> recipients, @Nullable String account,
                           Priority priority, Instant receivedAt, boolean body8bit, boolean smtputf8,
                           String clientAddress, String helo, ByteBuf content) {
        this(id, reversePath, recipients, account, priority, receivedAt, body8bit, smtputf8, clientAddress, helo,
                content, null);
    }

    public IncomingMessage {
        clientMessageId = ClientMessageId.normalise(clientMessageId);
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reversePath, "reversePath");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(helo, "helo");
        Objects.requireNonNull(content, "content");
        noNul(reversePath, "reversePath");
        noNul(clientAddress, "clientAddress");
        noNul(helo, "helo");
        if (account != null) {
            noNul(account, "account");
        }
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient");
        }
        if (recipients.size() > Short.MAX_VALUE) {
            throw new IllegalArgumentException("too many recipients: " + recipients.size());
        }
        for (String r : recipients) {
            noNul(r, "recipient");
            if (r.lastIndexOf('@') < 0) {
                throw new IllegalArgumentException("recipient without a domain: " + r);
            }
        }
    }

    /** PostgreSQL text cannot hold NUL; one such value would fail a whole batch, so refuse it here. */
    private static void noNul(String value, String field) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " contains a NUL character");
        }
    }

    /** The content size in bytes. */
    public int size() {
        return content.readableBytes();
    }

    /** The part after the last '@', lower-cased. */
    public static String domainOf(String address) {
        return address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    }
}
