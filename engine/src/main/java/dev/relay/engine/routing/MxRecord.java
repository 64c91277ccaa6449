package dev.relay.engine.routing;

import java.util.Objects;

/**
 * One MX record: preference (lower is preferred) and exchange host, lower case without the trailing dot; an empty
 * exchange is the root name ".", which a lone record uses to say "this domain accepts no mail" (RFC 7505).
 */
public record MxRecord(int preference, String exchange) {
    public MxRecord {
        if (preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("MX preference must be 0..65535, was " + preference);
        }
        Objects.requireNonNull(exchange, "exchange");
    }

    public boolean isNull() {
        return exchange.isEmpty();
    }
}
