package dev.relay.engine.config;

import dev.relay.protocol.PathParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code bounces.verp}: rewriting the envelope sender of each delivery to an address on the bounce domain that names
 * the message and recipient ({@code <prefix><token>@<domain>}), and taking the bounces that come back to that domain
 * on the SMTP listener. Off by default, so nothing changes unless configured; when on, {@code domain} and
 * {@code secret_file} are required. {@code enabled} is the default for connected systems, each of which may turn it
 * on or off ({@code system.verp}); with {@code domain} and {@code secret_file} set the bounce domain is taken in even
 * when {@code enabled} is false, for the systems that turn it on. The secret is read at start ({@code SecureFiles}: owner-only permissions).
 *
 * @param keyId the id carried in every token (0 to 31), so that a later key can take over while the old one is
 *     listed for verification
 * @param maxAge how old a token may be and still link a bounce (a DSN usually arrives within minutes; a delay
 *     notice or a late complaint, within days)
 * @param maxReportSize bytes of one incoming bounce that are parsed and kept; the rest is read and dropped
 */
public record VerpConfig(boolean enabled, @Nullable String domain, String prefix, @Nullable Path secretFile,
                         int keyId, Duration maxAge, long maxReportSize) {
    public static final String DEFAULT_PREFIX = "b+";
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);
    public static final long DEFAULT_MAX_REPORT_SIZE = 1L << 20;
    /** The report parser reads at most 4 MiB; more would be read for nothing. */
    public static final long MAX_REPORT_SIZE = 4L << 20;
    /** RFC 5321 4.5.3.1.1 local part (64) minus the 53 characters of a token. */
    static final int MAX_PREFIX = 11;

    public VerpConfig {
        Objects.requireNonNull(prefix, "bounces.verp.prefix");
        Objects.requireNonNull(maxAge, "bounces.verp.max_age");
        if (prefix.isEmpty() || prefix.length() > MAX_PREFIX || !isAtext(prefix)) {
            throw new ConfigException("bounces.verp.prefix", prefix, "1 to " + MAX_PREFIX
                    + " characters of RFC 5321 atext, so that prefix + 53-character token fit a 64-octet local part");
        }
        if (keyId < 0 || keyId > 31) {
            throw new ConfigException("bounces.verp.key_id", String.valueOf(keyId),
                    "must be between 0 and 31 (5 bits of the token)");
        }
        if (maxAge.isNegative() || maxAge.isZero() || maxAge.compareTo(Duration.ofDays(365)) > 0) {
            throw new ConfigException("bounces.verp.max_age", maxAge.toString(),
                    "must be more than 0 and at most 365 days");
        }
        if (maxReportSize < 1024 || maxReportSize > MAX_REPORT_SIZE) {
            throw new ConfigException("bounces.verp.max_report_size", String.valueOf(maxReportSize),
                    "must be between 1 KiB and 4 MiB (what the report parser reads)");
        }
        if (domain != null && (domain.isBlank() || domain.startsWith("[")
                || !PathParser.isValidHeloArgument(domain))) {
            throw new ConfigException("bounces.verp.domain", domain, "not a domain name");
        }
        if (enabled && domain == null) {
            throw new ConfigException("bounces.verp.domain", null,
                    "required when bounces.verp.enabled is true (the domain whose MX is this relay)");
        }
        if (enabled && secretFile == null) {
            throw new ConfigException("bounces.verp.secret_file", null,
                    "required when bounces.verp.enabled is true (a file of at least 16 secret bytes)");
        }
    }

    public static VerpConfig defaults() {
        return new VerpConfig(false, null, DEFAULT_PREFIX, null, 0, DEFAULT_MAX_AGE, DEFAULT_MAX_REPORT_SIZE);
    }

    private static boolean isAtext(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
