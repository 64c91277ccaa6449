package dev.relay.engine.bounce;

import dev.relay.storage.MessageId;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one DSN reports: the failed recipients of one original message, for its envelope sender. Holds only the
 * original's header section (see {@link #of}), never its body. {@code originalSender} cannot be the null reverse
 * path: a bounce is never bounced (RFC 5321 4.5.5), see {@link DsnBuilder#needsDsn}.
 */
public record Dsn(String reportingMta, MessageId originalId, String originalSender, Instant arrival,
                  byte[] originalHeaders, List<FailedRecipient> recipients) {
    public Dsn {
        Objects.requireNonNull(reportingMta, "reportingMta");
        if (reportingMta.isEmpty() || !reportingMta.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("reportingMta must be a host name, was '" + reportingMta + "'");
        }
        Objects.requireNonNull(originalId, "originalId");
        Objects.requireNonNull(originalSender, "originalSender");
        if (originalSender.isEmpty()) {
            throw new IllegalArgumentException("no DSN for the null reverse path (RFC 5321 4.5.5)");
        }
        checkAddress(originalSender, "originalSender");
        Objects.requireNonNull(arrival, "arrival");
        originalHeaders = Objects.requireNonNull(originalHeaders, "originalHeaders").clone();
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a DSN needs at least one failed recipient");
        }
    }

    /** From the original's full content: keeps its header section, at most {@link HeaderSection#MAX_BYTES}. */
    public static Dsn of(String reportingMta, MessageId originalId, String originalSender, Instant arrival,
            byte[] originalContent, List<FailedRecipient> recipients) {
        return new Dsn(reportingMta, originalId, originalSender, arrival, HeaderSection.extract(originalContent),
                recipients);
    }

    @Override
    public byte[] originalHeaders() {
        return originalHeaders.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dsn d && reportingMta.equals(d.reportingMta) && originalId.equals(d.originalId)
                && originalSender.equals(d.originalSender) && arrival.equals(d.arrival)
                && Arrays.equals(originalHeaders, d.originalHeaders) && recipients.equals(d.recipients);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reportingMta, originalId, originalSender, arrival, Arrays.hashCode(originalHeaders),
                recipients);
    }

    @Override
    public String toString() {
        return "Dsn[" + originalId + " to " + originalSender + ", " + recipients.size() + " recipient(s)]";
    }

    /**
     * Envelope addresses were checked by the SMTP parser; checked again here because they end up in header fields,
     * where a control character could start a new one.
     */
    static void checkAddress(String address, String what) {
        Objects.requireNonNull(address, what);
        if (address.isEmpty() || address.length() > FieldText.MAX_WORD
                || address.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(what + " must be an address of 1.." + FieldText.MAX_WORD
                    + " characters without control characters");
        }
    }
}
