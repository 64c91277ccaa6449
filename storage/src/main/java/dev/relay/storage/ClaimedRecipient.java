package dev.relay.storage;

import java.util.Objects;

/** One recipient of a {@link ClaimedMessage}: its index in the message, address, lower-case domain, attempts so far. */
public record ClaimedRecipient(int index, String address, String domain, int attempts) {
    public ClaimedRecipient {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(domain, "domain");
        if (index < 0 || attempts < 0) {
            throw new IllegalArgumentException("index and attempts must be >= 0");
        }
    }
}
