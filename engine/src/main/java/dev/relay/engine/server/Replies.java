package dev.relay.engine.server;

import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.SmtpReply;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Replies used in more than one place, with their RFC 3463 enhanced codes. */
final class Replies {
    static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok");
    /** RFC 5321 4.5.3.1.10: a 452 makes the client send the other recipients in a transaction of their own. */
    static final SmtpReply MIXED_INTAKE = SmtpReply.of(452, "4.5.3",
            "Bounce addresses and other recipients go in separate transactions");
    static final SmtpReply BAD_SEQUENCE = SmtpReply.of(503, "5.5.1", "Bad sequence of commands");
    static final SmtpReply NEED_HELO = SmtpReply.of(503, "5.5.1", "Send EHLO or HELO first");
    static final SmtpReply NO_ARGUMENTS = SmtpReply.of(501, "5.5.4", "Syntax error: no arguments allowed");
    static final SmtpReply UNRECOGNIZED = SmtpReply.of(500, "5.5.2", "Command unrecognized");
    /** RFC 3463 X.5.6 is for AUTH exchanges only (RFC 4954 4), so an over-long command line is a syntax error. */
    static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Line too long");
    static final SmtpReply AUTH_LINE_TOO_LONG = SmtpReply.of(500, "5.5.6", "Authentication Exchange line is too long");
    static final SmtpReply TOO_MANY_RECEIVED =
            SmtpReply.of(554, "5.4.6", "Too many Received header fields: mail forwarding loop");
    static final SmtpReply NO_LOCAL_POSTMASTER = SmtpReply.of(550, "5.1.1",
            "This relay has no local mailboxes; write to postmaster@<domain> of the domain you mean");
    static final SmtpReply IP_TOO_MANY_CONNECTIONS =
            SmtpReply.of(421, "4.7.0", "Too many connections from your address, try again later");
    static final SmtpReply IP_TOO_MANY_NEW_CONNECTIONS =
            SmtpReply.of(421, "4.7.0", "Too many new connections from your address, try again later");
    static final SmtpReply IP_TOO_MANY_AUTH_FAILURES = SmtpReply.of(421, "4.7.0",
            "Too many failed authentication attempts from your address, try again later");
    static final SmtpReply BAD_CHARACTERS = SmtpReply.of(500, "5.5.2", "Syntax error: invalid characters in command");
    static final SmtpReply BARE_LINE_ENDING =
            SmtpReply.of(500, "5.5.2", "Syntax error: command lines must end with <CR><LF>");
    static final SmtpReply TOO_MANY_ERRORS = SmtpReply.of(421, "4.7.0", "Too many errors, closing connection");
    static final SmtpReply SHUTTING_DOWN = SmtpReply.of(421, "4.3.2", "Service shutting down, try again later");
    static final SmtpReply TOO_MANY_CONNECTIONS =
            SmtpReply.of(421, "4.3.2", "Too many connections, try again later");
    static final SmtpReply TIMEOUT = SmtpReply.of(421, "4.4.2", "Timeout exceeded, closing connection");
    static final SmtpReply SPOOL_UNAVAILABLE =
            SmtpReply.of(451, "4.3.0", "Temporary failure storing the message, try again later");
    static final SmtpReply SIZE_EXCEEDED =
            SmtpReply.of(552, "5.3.4", "Message size exceeds fixed maximum message size");
    static final SmtpReply NUL_IN_CONTENT = SmtpReply.of(554, "5.6.0", "Message content contains NUL characters");
    static final SmtpReply LINE_TOO_LONG_IN_CONTENT = SmtpReply.of(554, "5.6.0",
            "Message has lines longer than 998 characters (RFC 5322 2.1.1); encode or wrap them");
    static final SmtpReply DKIM_FAILED = SmtpReply.of(451, "4.3.0",
            "Message not signed (DKIM), try again later");
    static final SmtpReply RELAY_DENIED = SmtpReply.of(554, "5.7.1", "Relay access denied");
    static final SmtpReply TOO_MANY_RECIPIENTS = SmtpReply.of(452, "4.5.3", "Too many recipients");
    static final SmtpReply NO_VALID_RECIPIENTS = SmtpReply.of(554, "5.5.1", "No valid recipients");
    static final SmtpReply AUTH_REQUIRES_TLS = SmtpReply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
    static final SmtpReply AUTH_FAILED = SmtpReply.of(535, "5.7.8", "Authentication credentials invalid");
    /** The password was right, the system is disabled ({@code relay system disable}); RFC 4954: 535 5.7.8. */
    static final SmtpReply AUTH_SYSTEM_DISABLED =
            SmtpReply.of(535, "5.7.8", "Authentication credentials invalid: this system is disabled");
    static final SmtpReply AUTH_OK = SmtpReply.of(235, "2.7.0", "Authentication successful");
    static final SmtpReply AUTH_CANCELLED = SmtpReply.of(501, "5.0.0", "Authentication cancelled");
    static final SmtpReply AUTH_BAD_BASE64 = SmtpReply.of(501, "5.5.2", "Cannot decode AUTH response (base64)");
    static final SmtpReply AUTH_TOO_MANY_FAILURES =
            SmtpReply.of(421, "4.7.0", "Too many failed authentication attempts, closing connection");
    static final SmtpReply AUTH_TEMPORARY_FAILURE =
            SmtpReply.of(454, "4.7.0", "Temporary authentication failure");

    static final SmtpReply SUPPRESSION_UNAVAILABLE = SmtpReply.of(451, "4.3.0",
            "Temporary failure checking the recipient, try again later");

    /** MAIL in a session authenticated before its system was disabled. */
    static SmtpReply systemDisabled(String system) {
        return SmtpReply.of(554, "5.7.1", "system " + system + " is disabled");
    }

    /** MAIL FROM an address outside the authenticated system's sending domains. */
    static SmtpReply foreignSender(String domain, String system) {
        return SmtpReply.of(550, "5.7.1", "sender domain " + ascii(domain) + " is not a sending domain of system "
                + system);
    }

    /** A header From outside the authenticated system's sending domains, at the end of DATA or BDAT. */
    static SmtpReply foreignHeaderFrom(String domain, String system) {
        return SmtpReply.of(550, "5.7.1", "header From domain " + ascii(domain)
                + " is not a sending domain of system " + system + "; message not accepted");
    }

    /** A client's domain in a reply: at most 100 characters, printable ASCII only (anything else as '?'). */
    private static String ascii(String s) {
        String clipped = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return clipped.replaceAll("[^\\x21-\\x7e]", "?");
    }

    /** {@code 550 5.7.1 <addr>: suppressed (hard_bounce since 2026-12-04)}: the date is UTC. */
    static SmtpReply suppressed(String address, SuppressionCheck.Verdict.Suppressed s) {
        return SmtpReply.of(550, "5.7.1", "<" + address + ">: suppressed (" + s.reason().label() + " since "
                + DateTimeFormatter.ISO_LOCAL_DATE.format(s.since().atOffset(ZoneOffset.UTC)) + ")");
    }

    private Replies() {
    }
}
