package dev.relay.engine.config;

import java.util.Locale;

/** Outbound TLS: use STARTTLS when offered, insist on it (defer otherwise), or never use it. */
public enum TlsMode {
    OPPORTUNISTIC,
    REQUIRED,
    DISABLED;

    public static TlsMode parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected opportunistic, required or disabled");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
