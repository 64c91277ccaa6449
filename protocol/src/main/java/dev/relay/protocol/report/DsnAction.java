package dev.relay.protocol.report;

import java.util.Locale;

/** The {@code Action} of one DSN recipient (RFC 3464 2.3.3); {@code UNKNOWN} for a missing or foreign value. */
public enum DsnAction {
    FAILED,
    DELAYED,
    DELIVERED,
    RELAYED,
    EXPANDED,
    UNKNOWN;

    static DsnAction parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        int space = v.indexOf(' '); // "failed (bad destination mailbox address)"
        String word = space < 0 ? v : v.substring(0, space);
        return switch (word) {
            case "failed" -> FAILED;
            case "delayed" -> DELAYED;
            case "delivered" -> DELIVERED;
            case "relayed" -> RELAYED;
            case "expanded" -> EXPANDED;
            default -> UNKNOWN;
        };
    }
}
