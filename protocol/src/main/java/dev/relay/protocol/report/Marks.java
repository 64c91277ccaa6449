package dev.relay.protocol.report;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The marks that tell a free-text bounce and an automatic reply apart from other mail, and where a free-text bounce
 * quotes the returned message. Literal alternations only (linear on any input); the texts they read are bounded.
 */
final class Marks {
    static final Pattern AUTO_REPLY_SUBJECT = Pattern.compile(
            "out of (the )?office|automatic reply|auto[- ]?reply|auto[- ]?response|autoresponder|abwesenheit"
                    + "|automatische antwort|r\u00e9ponse automatique|reponse automatique|respuesta autom\u00e1tica"
                    + "|risposta automatica|automatisch antwoord|afwezig|on vacation|vacation reply|away from (the )?office",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    static final Pattern BOUNCE_SUBJECT = Pattern.compile(
            "undeliver|undelivered mail|delivery status notification|failure notice|delivery failure"
                    + "|mail delivery failed|returned mail|delivery has failed|could not be delivered|non[- ]?delivery"
                    + "|unzustellbar|nicht zugestellt|non remis|delivery notification",
            Pattern.CASE_INSENSITIVE);
    static final Pattern BOUNCE_SENDER = Pattern.compile("mailer-daemon|mail delivery (system|subsystem)",
            Pattern.CASE_INSENSITIVE);
    static final Pattern BOUNCE_TEXT = Pattern.compile(
            "this is the qmail-send program|created automatically by mail delivery software"
                    + "|could not be delivered to one or more|delivery to the following recipients? failed"
                    + "|i'm afraid i wasn't able to deliver|this is a permanent error|the mail system",
            Pattern.CASE_INSENSITIVE);
    /** Where free-text bounces start the returned message (qmail, Exim, Gmail, Sendmail, Courier...). */
    static final Pattern ORIGINAL_MARKER = Pattern.compile(
            "^(?:-+ ?Below this line is a copy of the message\\.?"
                    + "|-+ This is a copy of (?:the|your) message.*"
                    + "|-+ ?Original message ?-+"
                    + "|-+ ?Original message follows\\.? ?-*"
                    + "|-+ ?The header of the original message is following\\.? ?-*)\\s*$",
            Pattern.CASE_INSENSITIVE | Pattern.MULTILINE);

    private Marks() {
    }

    /** Why the report with header fields {@code top} is an automatic reply, or null if it is not. */
    static @Nullable String autoReply(List<HeaderField> top, String subject) {
        String submitted = FieldBlocks.get(top, "Auto-Submitted");
        if (submitted != null && submitted.toLowerCase(Locale.ROOT).startsWith("auto-replied")) {
            return "Auto-Submitted: auto-replied";
        }
        for (String name : List.of("X-Autoreply", "X-Autorespond", "X-Autoresponder")) {
            if (FieldBlocks.get(top, name) != null) {
                return name;
            }
        }
        String precedence = FieldBlocks.get(top, "Precedence");
        if (precedence != null && precedence.equalsIgnoreCase("auto_reply")) {
            return "Precedence: auto_reply";
        }
        if (AUTO_REPLY_SUBJECT.matcher(subject).find()) {
            return "subject";
        }
        return null;
    }
}
