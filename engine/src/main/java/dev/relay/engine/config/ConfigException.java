package dev.relay.engine.config;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A configuration error naming the source, the key path (for example {@code smtp.max_message_size}),
 * the offending value and the reason. The caller maps it to exit code 2.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String key;
    private final @Nullable String value;
    private final String reason;

    /** An error in {@code relay.yaml} (or its environment overrides). */
    public ConfigException(String key, @Nullable String value, String reason) {
        this("relay.yaml", key, value, reason);
    }

    /** An error in another configuration source, e.g. a users file. */
    public ConfigException(String source, String key, @Nullable String value, String reason) {
        super(source + ": " + key + " = " + value + ": " + reason);
        this.source = Objects.requireNonNull(source, "source");
        this.key = Objects.requireNonNull(key, "key");
        this.value = value;
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    private ConfigException(Path file, String reason, @Nullable Throwable cause) {
        super("config file " + file + ": " + reason, cause);
        this.source = file.toString();
        this.key = file.toString();
        this.value = null;
        this.reason = reason;
    }

    /** A file-level error: the file is missing, unreadable or not valid YAML. {@link #key()} is the path. */
    public static ConfigException file(Path file, String reason, @Nullable Throwable cause) {
        return new ConfigException(file, reason, cause);
    }

    public String source() {
        return source;
    }

    public String key() {
        return key;
    }

    public @Nullable String value() {
        return value;
    }

    public String reason() {
        return reason;
    }

    /** The same error with a note appended to the reason (used to name the environment variable). */
    ConfigException withNote(String note) {
        ConfigException e = new ConfigException(source, key, value, reason + " " + note);
        e.initCause(this);
        return e;
    }
}
