package dev.relay.engine.intake;

import dev.relay.engine.outcomes.BounceClassifier;
import dev.relay.engine.outcomes.Classification;
import dev.relay.engine.outcomes.ReplyText;
import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.report.BounceReport;
import dev.relay.protocol.report.DsnAction;
import dev.relay.protocol.report.DsnRecipient;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What one parsed report means for the one recipient its VERP token names, decided in one place and without I/O:
 * a failure or a delay (classified by the bounce rules), a complaint, an auto-reply, nothing to record (a success
 * notice), or a report to keep because it cannot be used.
 */
public sealed interface IntakeVerdict {
    /**
     * A DSN {@code failed}, or a free-text bounce (a bounce message, whatever the reply it quotes: the sending MTA
     * gave up); {@code failed} false for a DSN {@code delayed}.
     */
    record Bounce(boolean failed, Classification classification, String reply, @Nullable String remoteMta)
            implements IntakeVerdict {
        public Bounce {
            Objects.requireNonNull(classification, "classification");
            Objects.requireNonNull(reply, "reply");
        }
    }

    /** An ARF report; {@code abuse} when its feedback type says the recipient called it spam. */
    record Complaint(String feedbackType, boolean abuse) implements IntakeVerdict {
        public Complaint {
            Objects.requireNonNull(feedbackType, "feedbackType");
        }
    }

    /** An out-of-office or other automatic reply: recorded as such, never counted as a bounce. */
    record AutoReply(String reason) implements IntakeVerdict {
        public AutoReply {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A DSN saying delivered, relayed or expanded: nothing failed, nothing to record. */
    record NotAFailure(String action) implements IntakeVerdict {
        public NotAFailure {
            Objects.requireNonNull(action, "action");
        }
    }

    /** Not usable; kept with {@code reason}. */
    record Keep(String reason) implements IntakeVerdict {
        public Keep {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A status anywhere in free text: {@code 5.1.1}, {@code #5.1.1}, {@code (#5.1.1)}. */
    Pattern STATUS_IN_TEXT = Pattern.compile("(?<![\\d.])([245])\\.(\\d{1,3})\\.(\\d{1,3})(?![\\d.])");
    /** An SMTP reply quoted at the start of a line of free text: {@code 550 5.1.1 ...}, {@code 550-...}. */
    Pattern REPLY_LINE = Pattern.compile("(?m)^[ \\t>]*([45]\\d\\d)[ -].*$");

    /**
     * The verdict on {@code report} for {@code address}, the recipient the token names: a DSN's recipient block
     * for that address (else its first failed or delayed block, since the token, not the report, names the
     * recipient); free text classified on its first quoted SMTP reply, else on its whole text.
     */
    static IntakeVerdict of(BounceReport report, String address, BounceClassifier classifier) {
        if (report instanceof BounceReport.Dsn dsn) {
            DsnRecipient r = block(dsn.recipients(), address);
            if (r == null) {
                return new Keep("DSN without a recipient block");
            }
            return switch (r.action()) {
                case FAILED, DELAYED -> dsnBounce(r, dsn.text(), classifier);
                case DELIVERED, RELAYED, EXPANDED -> new NotAFailure(r.action().name().toLowerCase(Locale.ROOT));
                case UNKNOWN -> r.status() != null && r.status().klass() != 2 ? dsnBounce(r, dsn.text(), classifier)
                        : new Keep("DSN recipient block without a known action or a failure status");
            };
        }
        if (report instanceof BounceReport.FeedbackReport arf) {
            String type = arf.feedbackType().strip().toLowerCase(Locale.ROOT);
            return new Complaint(type, type.equals("abuse") || type.equals("fraud") || type.equals("virus"));
        }
        if (report instanceof BounceReport.AutoReply auto) {
            return new AutoReply(auto.reason());
        }
        if (report instanceof BounceReport.FreeText free) {
            return freeText(free.subject(), free.text(), classifier);
        }
        return new Keep(((BounceReport.Unrecognised) report).reason());
    }

    private static @Nullable DsnRecipient block(List<DsnRecipient> blocks, String address) {
        for (DsnRecipient r : blocks) {
            if (address.equalsIgnoreCase(strip(r.finalRecipient()))
                    || address.equalsIgnoreCase(strip(r.originalRecipient()))) {
                return r;
            }
        }
        for (DsnRecipient r : blocks) {
            if (r.action() == DsnAction.FAILED || r.action() == DsnAction.DELAYED) {
                return r;
            }
        }
        return blocks.isEmpty() ? null : blocks.get(0);
    }

    private static String strip(@Nullable String address) {
        if (address == null) {
            return "";
        }
        String a = address.strip();
        return a.startsWith("<") && a.endsWith(">") ? a.substring(1, a.length() - 1) : a;
    }

    private static IntakeVerdict dsnBounce(DsnRecipient r, String text, BounceClassifier classifier) {
        boolean failed = r.action() != DsnAction.DELAYED && (r.status() == null || r.status().klass() != 4
                || r.action() == DsnAction.FAILED);
        String diagnostic = r.diagnosticText();
        EnhancedStatus status = r.status();
        Classification c;
        String reply;
        if (diagnostic != null && !diagnostic.isBlank()) {
            ReplyText parsed = ReplyText.parse(diagnostic);
            int code = parsed.code() != 0 ? parsed.code() : codeFor(status, failed);
            EnhancedStatus s = parsed.status() != null ? parsed.status() : status;
            c = classifier.classify(code, s, parsed.text());
            reply = diagnostic.strip();
        } else {
            c = classifier.classify(codeFor(status, failed), status, text);
            reply = status == null ? "(no diagnostic code)" : status + " (no diagnostic code)";
        }
        return new Bounce(failed, c, reply, r.remoteMta());
    }

    private static int codeFor(@Nullable EnhancedStatus status, boolean failed) {
        if (status != null && (status.klass() == 4 || status.klass() == 5)) {
            return status.klass() * 100 + 50;
        }
        return failed ? 550 : 450;
    }

    private static IntakeVerdict freeText(String subject, String text, BounceClassifier classifier) {
        Matcher line = REPLY_LINE.matcher(text);
        if (line.find()) {
            String quoted = line.group().strip();
            while (quoted.startsWith(">")) {
                quoted = quoted.substring(1).strip();
            }
            Classification byLine = classifier.classify(quoted);
            return new Bounce(true, byLine, quoted, null);
        }
        Matcher m = STATUS_IN_TEXT.matcher(text);
        EnhancedStatus status = null;
        if (m.find() && !m.group(1).equals("2")) {
            status = new EnhancedStatus(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)));
        }
        String all = subject + " " + text;
        Classification c = classifier.classify(codeFor(status, true), status, all);
        String reply = status == null ? subject : status + " " + subject;
        return new Bounce(true, c, reply.strip(), null);
    }
}
