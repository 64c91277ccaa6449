package dev.relay.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The MAIL FROM parameters the relay acts on. DSN parameters (RET, ENVID) are accepted but not kept.
 *
 * @param size the declared SIZE (RFC 1870), or -1 if absent
 * @param body the declared BODY (RFC 6152, RFC 3030); {@link Body#SEVEN_BIT} if absent
 * @param smtputf8 the SMTPUTF8 parameter was given (RFC 6531)
 * @param auth the AUTH parameter (RFC 4954 5), still xtext-encoded, or null if absent
 */
public record MailParameters(long size, Body body, boolean smtputf8, @Nullable String auth) {
    /** No parameters; also what {@link PathParser#rcptTo} reports for recipients. */
    public static final MailParameters NONE = new MailParameters(-1, Body.SEVEN_BIT, false, null);

    public enum Body { SEVEN_BIT, EIGHT_BIT_MIME, BINARY_MIME }

    public MailParameters {
        if (size < -1) {
            throw new IllegalArgumentException("size must be >= -1, was " + size);
        }
        Objects.requireNonNull(body, "body");
    }
}
