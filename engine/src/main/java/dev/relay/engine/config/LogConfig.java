package dev.relay.engine.config;

import java.util.Locale;
import java.util.Objects;

/** {@code log}: how log lines are written to stderr: {@code text} (default) or {@code json} (one object a line). */
public record LogConfig(Format format) {
    public enum Format {
        TEXT,
        JSON;

        static Format parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("expected text or json");
            }
        }
    }

    public LogConfig {
        Objects.requireNonNull(format, "log.format");
    }

    public static LogConfig defaults() {
        return new LogConfig(Format.TEXT);
    }
}
