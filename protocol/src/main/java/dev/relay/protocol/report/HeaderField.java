package dev.relay.protocol.report;

import java.util.Objects;

/** One header field as a report carried it, unfolded, bounded and cleaned of control characters. */
public record HeaderField(String name, String value) {
    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
