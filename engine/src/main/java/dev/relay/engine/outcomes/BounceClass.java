package dev.relay.engine.outcomes;

import java.util.Locale;

/**
 * Whether the failure says something lasting about the address. {@code HARD}: the address does not work (unknown
 * user or domain, disabled mailbox, relaying denied), so sending to it again is pointless and a suppression may
 * follow. {@code SOFT}: the address may well be fine and the cause lies with this message, the sender or the moment
 * (full mailbox, size, content, reputation, authentication, throttling, network, expiry).
 */
public enum BounceClass {
    HARD,
    SOFT;

    /** The name in rule files and output: {@code hard} or {@code soft}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code hard} or {@code soft} (any case); throws IllegalArgumentException otherwise. */
    public static BounceClass parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "hard" -> HARD;
            case "soft" -> SOFT;
            default -> throw new IllegalArgumentException("expected hard or soft");
        };
    }
}
