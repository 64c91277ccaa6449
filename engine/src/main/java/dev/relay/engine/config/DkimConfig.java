package dev.relay.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code dkim}: where the key that seals DKIM private keys at rest is ({@code key_file}; null: stored plainly, with a
 * warning at start), how often each node re-reads the keys ({@code refresh_interval}: a new or retired key takes
 * effect on every node within it), and what happens to an authenticated submission whose header From domain has no
 * active key ({@code missing_key}).
 */
public record DkimConfig(@Nullable Path keyFile, Duration refreshInterval, MissingKey missingKey) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(5);

    /** What an authenticated submission gets when its From domain has no active key. */
    public enum MissingKey {
        /** {@code 550 5.7.1} naming the domain: big mailbox providers reject unsigned mail anyway. */
        REFUSE,
        /** Accepted and sent without a signature. */
        SEND_UNSIGNED;

        static MissingKey parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "refuse" -> REFUSE;
                case "send_unsigned" -> SEND_UNSIGNED;
                default -> throw new IllegalArgumentException("must be refuse or send_unsigned");
            };
        }

        /** The YAML spelling. */
        public String yaml() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DkimConfig {
        Objects.requireNonNull(refreshInterval, "dkim.refresh_interval");
        Objects.requireNonNull(missingKey, "dkim.missing_key");
        if (refreshInterval.compareTo(Duration.ofSeconds(1)) < 0 || refreshInterval.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new ConfigException("dkim.refresh_interval", refreshInterval.toString(),
                    "must be between 1s and 10m (a new or retired key reaches every node within it)");
        }
        if (keyFile != null && keyFile.toString().isBlank()) {
            throw new ConfigException("dkim.key_file", keyFile.toString(), "must not be empty");
        }
    }

    public static DkimConfig defaults() {
        return new DkimConfig(null, DEFAULT_REFRESH_INTERVAL, MissingKey.REFUSE);
    }

    static DkimConfig from(Section s, @Nullable Path keyFile) {
        DkimConfig d = defaults();
        DkimConfig c = new DkimConfig(keyFile, s.duration("refresh_interval", d.refreshInterval()),
                s.parsed("missing_key", d.missingKey(), "refuse or send_unsigned", MissingKey::parse));
        s.finish();
        return c;
    }
}
