package dev.relay.protocol.report;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What came back to the bounce domain, as the parser understood it. Every string is bounded and free of control
 * characters; {@code limits} lists the limits the report reached (empty for an ordinary report), so a cut report can
 * be told from a complete one. {@code originalHeaders} are the returned message's header fields (where the VERP
 * token, our Message-ID and X-Relay-Queue-ID are), empty when the report carried none.
 */
public sealed interface BounceReport {
    Set<Limit> limits();

    /** An RFC 3464 delivery status notification. {@code text}: its human-readable part. */
    record Dsn(@Nullable String reportingMta, @Nullable Instant arrivalDate, List<DsnRecipient> recipients,
            String text, List<HeaderField> originalHeaders, Set<Limit> limits) implements BounceReport {
        public Dsn {
            recipients = List.copyOf(recipients);
            Objects.requireNonNull(text, "text");
            originalHeaders = List.copyOf(originalHeaders);
            limits = Set.copyOf(limits);
        }
    }

    /** An RFC 5965 ARF feedback report (a complaint when {@code feedbackType} is {@code abuse}). */
    record FeedbackReport(String feedbackType, @Nullable String userAgent, @Nullable String version,
            @Nullable String originalMailFrom, List<String> originalRcptTo, @Nullable Instant arrivalDate,
            @Nullable String sourceIp, List<String> reportedDomains, List<HeaderField> originalHeaders,
            Set<Limit> limits) implements BounceReport {
        public FeedbackReport {
            Objects.requireNonNull(feedbackType, "feedbackType");
            originalRcptTo = List.copyOf(originalRcptTo);
            reportedDomains = List.copyOf(reportedDomains);
            originalHeaders = List.copyOf(originalHeaders);
            limits = Set.copyOf(limits);
        }
    }

    /** An out-of-office or other automatic reply (RFC 3834 or a vacation heuristic): not a bounce. */
    record AutoReply(String reason, String subject, Set<Limit> limits) implements BounceReport {
        public AutoReply {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(subject, "subject");
            limits = Set.copyOf(limits);
        }
    }

    /**
     * A bounce without a report part (qmail, Exim without DSN, old Gmail...): its text, for the classifier's rules.
     * {@code failedRecipients}: the {@code X-Failed-Recipients} field (Exim, Gmail), if any.
     */
    record FreeText(String subject, String text, List<String> failedRecipients, List<HeaderField> originalHeaders,
            Set<Limit> limits) implements BounceReport {
        public FreeText {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(text, "text");
            failedRecipients = List.copyOf(failedRecipients);
            originalHeaders = List.copyOf(originalHeaders);
            limits = Set.copyOf(limits);
        }
    }

    /** Anything else, with the reason, to be kept and counted rather than dropped. */
    record Unrecognised(String reason, Set<Limit> limits) implements BounceReport {
        public Unrecognised {
            Objects.requireNonNull(reason, "reason");
            limits = Set.copyOf(limits);
        }
    }
}
