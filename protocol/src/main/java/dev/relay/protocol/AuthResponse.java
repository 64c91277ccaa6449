package dev.relay.protocol;

import java.util.Objects;

/**
 * A line read after {@link SmtpServerDecoder#expectAuthResponse()}: base64 data, or {@code *} to
 * cancel (RFC 4954 4). Not validated here; the SASL mechanism decides. Never log it: it carries secrets.
 */
public record AuthResponse(String line) implements SmtpInbound {
    public AuthResponse {
        Objects.requireNonNull(line, "line");
    }

    @Override
    public String toString() {
        // Credentials must not leak into logs through an accidental toString().
        return "AuthResponse[" + line.length() + " chars]";
    }
}
