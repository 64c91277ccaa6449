package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import dev.relay.protocol.PathParser;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The VERP codec's settings (not read from {@code relay.yaml} yet; the keys named in errors are the ones it will
 * use): the signing keys, the one new tokens are issued under ({@code active_key}; the others only verify, which is
 * how a key is rotated out), the local-part prefix, the bounce domain, and how old a token may be before a bounce
 * quoting it is no longer linked.
 */
public record VerpSettings(List<VerpKey> keys, int activeKeyId, String prefix, String domain, Duration maxAge) {
    /** RFC 5321 4.5.3.1.1: a local part has at most 64 octets; the token takes {@link VerpCodec#TOKEN_LENGTH}. */
    public static final int MAX_PREFIX = 64 - VerpCodec.TOKEN_LENGTH;

    public VerpSettings {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(maxAge, "maxAge");
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new ConfigException("bounces.verp.keys", "[]", "at least one key is needed to sign tokens");
        }
        Set<Integer> ids = new HashSet<>();
        for (VerpKey key : keys) {
            if (!ids.add(key.id())) {
                throw new ConfigException("bounces.verp.keys", Integer.toString(key.id()), "key id listed twice");
            }
        }
        if (!ids.contains(activeKeyId)) {
            throw new ConfigException("bounces.verp.active_key", Integer.toString(activeKeyId),
                    "not one of the listed key ids " + ids);
        }
        if (prefix.isEmpty() || prefix.length() > MAX_PREFIX || !isAtext(prefix)) {
            throw new ConfigException("bounces.verp.prefix", prefix,
                    "1 to " + MAX_PREFIX + " characters of RFC 5321 atext (letters, digits, !#$%&'*+-/=?^_`{|}~), "
                            + "so that prefix + token fit a 64-octet local part");
        }
        if (domain.isEmpty() || domain.startsWith("[") || !PathParser.isValidHeloArgument(domain)) {
            throw new ConfigException("bounces.verp.domain", domain, "not a domain name");
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new ConfigException("bounces.verp.max_age", maxAge.toString(), "must be positive");
        }
    }

    /** The key new tokens are signed with. */
    public VerpKey activeKey() {
        return java.util.Objects.requireNonNull(key(activeKeyId), "checked at construction");
    }

    /** The key with {@code id}, or null when it is not (or no longer) listed. */
    @org.jspecify.annotations.Nullable
    VerpKey key(int id) {
        for (VerpKey key : keys) {
            if (key.id() == id) {
                return key;
            }
        }
        return null;
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
