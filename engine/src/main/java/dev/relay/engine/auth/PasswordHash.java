package dev.relay.engine.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A salted PBKDF2-HMAC-SHA256 password hash, encoded as {@code pbkdf2-sha256:<iterations>:<base64 salt>:<base64 hash>}.
 * Computing or checking one costs about 100 ms of CPU at the default 310,000 iterations: never on an event loop.
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {
    public static final String SCHEME = "pbkdf2-sha256";
    public static final int DEFAULT_ITERATIONS = 310_000;
    public static final int MIN_ITERATIONS = 1_000;
    static final int SALT_BYTES = 16;
    static final int HASH_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    public PasswordHash {
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("iterations must be at least " + MIN_ITERATIONS + ", was " + iterations);
        }
        if (salt.length < 8) {
            throw new IllegalArgumentException("salt must be at least 8 bytes");
        }
        if (hash.length < 16) {
            throw new IllegalArgumentException("hash must be at least 16 bytes");
        }
        salt = salt.clone();
        hash = hash.clone();
    }

    /** Hashes {@code password} with a fresh random 16-byte salt and {@value #DEFAULT_ITERATIONS} iterations. */
    public static PasswordHash create(char[] password) {
        return create(password, DEFAULT_ITERATIONS);
    }

    /** As {@link #create(char[])} with another iteration count (tests use the minimum to stay fast). */
    public static PasswordHash create(char[] password, int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new PasswordHash(iterations, salt, pbkdf2(password, salt, iterations, HASH_BYTES));
    }

    /** A hash that matches no password, costing the same time to check (for unknown users). */
    static PasswordHash dummy(int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        byte[] hash = new byte[HASH_BYTES];
        RANDOM.nextBytes(salt);
        RANDOM.nextBytes(hash);
        return new PasswordHash(iterations, salt, hash);
    }

    /** Parses the encoded form; throws {@link IllegalArgumentException} with a reason (never echoing the hash). */
    public static PasswordHash parse(String encoded) {
        String[] parts = encoded.strip().split(":", -1);
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            throw new IllegalArgumentException("expected " + SCHEME + ":<iterations>:<base64 salt>:<base64 hash>"
                    + " (create it with `relay user add`)");
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("iterations is not a number", e);
        }
        try {
            Base64.Decoder b64 = Base64.getDecoder();
            return new PasswordHash(iterations, b64.decode(parts[2]), b64.decode(parts[3]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad " + SCHEME + " value: " + e.getMessage(), e);
        }
    }

    public String encode() {
        Base64.Encoder b64 = Base64.getEncoder();
        return SCHEME + ":" + iterations + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(hash);
    }

    /** Whether {@code password} hashes to this value; constant-time comparison. CPU-heavy. */
    public boolean matches(char[] password) {
        byte[] candidate = pbkdf2(password, salt, iterations, hash.length);
        try {
            return MessageDigest.isEqual(candidate, hash);
        } finally {
            Arrays.fill(candidate, (byte) 0);
        }
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] hash() {
        return hash.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PasswordHash p && p.iterations == iterations
                && Arrays.equals(p.salt, salt) && MessageDigest.isEqual(p.hash, hash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(iterations, Arrays.hashCode(salt));
    }

    @Override
    public String toString() {
        return "PasswordHash[" + SCHEME + ", iterations=" + iterations + "]";
    }

    private static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bytes) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        } finally {
            spec.clearPassword();
        }
    }
}
