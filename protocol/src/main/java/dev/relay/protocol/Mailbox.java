package dev.relay.protocol;

import java.util.Locale;
import java.util.Objects;

/**
 * An envelope mailbox as received, source route stripped. The local part keeps its original form
 * (a quoted local part keeps its quotes) and case: only the receiving domain may interpret it.
 * The domain is empty only for the special recipient {@code <postmaster>} (RFC 5321 4.1.1.3).
 */
public record Mailbox(String localPart, String domain) {
    public Mailbox {
        Objects.requireNonNull(localPart, "localPart");
        Objects.requireNonNull(domain, "domain");
        if (localPart.isEmpty()) {
            throw new IllegalArgumentException("local part must not be empty");
        }
    }

    /** For routing and policy lookups: domains are case-insensitive, local parts are not. */
    public String domainLowerCase() {
        return domain.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return domain.isEmpty() ? localPart : localPart + "@" + domain;
    }
}
