package dev.relay.engine.server;

import dev.relay.engine.outcomes.VerpResult;
import dev.relay.protocol.Mailbox;
import dev.relay.protocol.MailParameters;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The envelope of the mail transaction in progress: from MAIL to the end of DATA/BDAT, RSET or a new EHLO. */
final class Transaction {
    private final @Nullable Mailbox reversePath;
    private final MailParameters parameters;
    private final List<String> recipients = new ArrayList<>();
    /** The verified tokens of bounce-domain recipients: non-empty makes this a report to the intake. */
    private final List<VerpResult.Valid> bounceTokens = new ArrayList<>();
    /** Recipients accepted although suppressed ({@code accept_and_record}), never queued; and their event texts. */
    private final List<String> suppressed = new ArrayList<>();
    private final List<String> suppressedReplies = new ArrayList<>();

    Transaction(@Nullable Mailbox reversePath, MailParameters parameters) {
        this.reversePath = reversePath;
        this.parameters = parameters;
    }

    /** The reverse path as stored: empty for the null path {@code <>} of bounces. */
    String reversePath() {
        return reversePath == null ? "" : reversePath.toString();
    }

    MailParameters parameters() {
        return parameters;
    }

    void addRecipient(Mailbox recipient) {
        recipients.add(recipient.toString());
    }

    void addBounceRecipient(Mailbox recipient, VerpResult.Valid token) {
        recipients.add(recipient.toString());
        bounceTokens.add(token);
    }

    /** A recipient accepted although suppressed: recorded with {@code reply}, never queued. */
    void addSuppressedRecipient(Mailbox recipient, String reply) {
        suppressed.add(recipient.toString());
        suppressedReplies.add(reply);
    }

    List<String> suppressed() {
        return suppressed;
    }

    List<String> suppressedReplies() {
        return suppressedReplies;
    }

    /** Every accepted RCPT, queued or suppressed: what the recipient limit counts. */
    int acceptedRecipients() {
        return recipients.size() + suppressed.size();
    }

    /** A report to the bounce domain's intake, never queued: its recipients are all bounce addresses. */
    boolean isIntake() {
        return !bounceTokens.isEmpty();
    }

    List<VerpResult.Valid> bounceTokens() {
        return bounceTokens;
    }

    List<String> recipients() {
        return recipients;
    }

    boolean hasRecipients() {
        return !recipients.isEmpty() || !suppressed.isEmpty();
    }
}
