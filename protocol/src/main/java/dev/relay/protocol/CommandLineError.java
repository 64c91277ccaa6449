package dev.relay.protocol;

import java.util.Objects;

/**
 * A command (or AUTH continuation) line that was framed but must not be executed. The line's bytes
 * have already been discarded; the session answers with a 500-class reply and carries on.
 */
public record CommandLineError(Kind kind, String detail) implements SmtpInbound {
    public enum Kind {
        /** Longer than the configured maximum; discarded up to its line ending (RFC 5321 4.5.3.1.4). */
        TOO_LONG,
        /** Contains 0x00, which no SMTP command may carry. */
        NUL_BYTE,
        /** Ended by a bare LF or containing a bare CR (RFC 5321 2.3.8): never executed, see SMTP smuggling. */
        BARE_LINE_ENDING,
        /** Not well-formed UTF-8 (commands are UTF-8 under SMTPUTF8, RFC 6531). */
        INVALID_UTF8
    }

    public CommandLineError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }
}
