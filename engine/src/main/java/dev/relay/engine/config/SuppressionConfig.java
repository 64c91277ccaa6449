package dev.relay.engine.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code suppression}: what happens at RCPT to a suppressed address, how long a node trusts its cached view of the
 * list, and the soft-bounce rule ("{@code soft_bounce_limit} soft bounces within {@code soft_bounce_window}").
 */
public record SuppressionConfig(Mode mode, Duration cacheTtl, int cacheSize, Duration lookupTimeout,
                                int softBounceLimit, Duration softBounceWindow) {
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(30);
    public static final int DEFAULT_CACHE_SIZE = 100_000;
    public static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_SOFT_BOUNCE_LIMIT = 5;
    public static final Duration DEFAULT_SOFT_BOUNCE_WINDOW = Duration.ofDays(7);

    /**
     * {@code refuse}: 550 5.7.1 at RCPT. {@code accept_and_record}: 250 at RCPT, the message is stored for its other
     * recipients and the suppressed one is retired at once with a {@code suppressed} event, never delivered and
     * without a DSN (the list is the sender's own: the sender's application learns it from the event or webhook).
     */
    public enum Mode {
        REFUSE,
        ACCEPT_AND_RECORD;

        static Mode parse(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "refuse" -> REFUSE;
                case "accept_and_record" -> ACCEPT_AND_RECORD;
                default -> throw new IllegalArgumentException("must be refuse or accept_and_record");
            };
        }
    }

    public SuppressionConfig {
        Objects.requireNonNull(mode, "suppression.mode");
        positive("suppression.cache_ttl", cacheTtl, Duration.ofMinutes(10));
        if (cacheSize < 1 || cacheSize > 10_000_000) {
            throw new ConfigException("suppression.cache_size", String.valueOf(cacheSize),
                    "must be between 1 and 10000000");
        }
        positive("suppression.lookup_timeout", lookupTimeout, Duration.ofMinutes(1));
        if (softBounceLimit < 1 || softBounceLimit > 1000) {
            throw new ConfigException("suppression.soft_bounce_limit", String.valueOf(softBounceLimit),
                    "must be between 1 and 1000");
        }
        positive("suppression.soft_bounce_window", softBounceWindow, Duration.ofDays(365));
    }

    public static SuppressionConfig defaults() {
        return new SuppressionConfig(Mode.REFUSE, DEFAULT_CACHE_TTL, DEFAULT_CACHE_SIZE, DEFAULT_LOOKUP_TIMEOUT,
                DEFAULT_SOFT_BOUNCE_LIMIT, DEFAULT_SOFT_BOUNCE_WINDOW);
    }

    static SuppressionConfig from(Section s) {
        SuppressionConfig d = defaults();
        Mode mode = s.parsed("mode", d.mode(), "refuse", Mode::parse);
        SuppressionConfig c = new SuppressionConfig(mode, s.duration("cache_ttl", d.cacheTtl()),
                s.integer("cache_size", d.cacheSize()), s.duration("lookup_timeout", d.lookupTimeout()),
                s.integer("soft_bounce_limit", d.softBounceLimit()),
                s.duration("soft_bounce_window", d.softBounceWindow()));
        s.finish();
        return c;
    }

    private static void positive(String key, Duration value, Duration max) {
        Objects.requireNonNull(value, key);
        if (value.isNegative() || value.isZero() || value.compareTo(max) > 0) {
            throw new ConfigException(key, value.toString(), "must be more than 0 and at most "
                    + max);
        }
    }
}
