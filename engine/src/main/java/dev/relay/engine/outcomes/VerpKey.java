package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * One VERP signing key: an id (0 to {@value #MAX_ID}, carried in every token so that keys can rotate: tokens issued
 * under a retired key still verify while it is listed) and its secret (at least {@value #MIN_SECRET_BYTES} bytes).
 * The secret is copied in and out; {@link #toString()} never shows it.
 */
public record VerpKey(int id, byte[] secret) {
    public static final int MAX_ID = 31;
    public static final int MIN_SECRET_BYTES = 16;

    public VerpKey {
        if (id < 0 || id > MAX_ID) {
            throw new ConfigException("bounces.verp.keys.id", Integer.toString(id),
                    "a key id is 0 to " + MAX_ID + " (5 bits of the token)");
        }
        Objects.requireNonNull(secret, "secret");
        if (secret.length < MIN_SECRET_BYTES) {
            throw new ConfigException("bounces.verp.keys.secret", "(" + secret.length + " bytes)",
                    "a secret needs at least " + MIN_SECRET_BYTES + " bytes (128 bits)");
        }
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VerpKey k && k.id == id && MessageDigest.isEqual(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return id;
    }

    @Override
    public String toString() {
        return "VerpKey[id=" + id + ", secret=(" + secret.length + " bytes)]";
    }

    /** The secret without a copy, for the codec's MAC only. */
    byte[] secretUnsafe() {
        return secret;
    }
}
