package dev.relay.engine.admin;

import dev.relay.engine.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin API's bearer token, read from a file (secrets live in files, never in relay.yaml). Presented tokens are
 * compared in constant time: both sides are hashed with SHA-256 first, so neither the content nor the length of the
 * real token leaks through timing.
 */
public final class AdminToken {
    static final int MIN_LENGTH = 16;

    private final byte[] digest;

    private AdminToken(String token) {
        this.digest = sha256(token);
    }

    /** The token of {@code key}'s file: its content without surrounding whitespace. */
    public static AdminToken read(Path file, String key) {
        return of(readText(file, key), key, file);
    }

    static AdminToken of(String token, String key, Path file) {
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new ConfigException(key, file.toString(), "the token in this file must be at least " + MIN_LENGTH
                    + " printable ASCII characters without spaces, e.g. from `head -c 32 /dev/urandom | base64`");
        }
        return new AdminToken(token);
    }

    /** The stripped content of a token file; ConfigException naming {@code key} when it cannot be read. */
    static String readText(Path file, String key) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new ConfigException(key, file.toString(), "no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(key, file.toString(), "permission denied");
        } catch (IOException e) {
            throw new ConfigException(key, file.toString(), "cannot read: " + e);
        }
    }

    /** Whether {@code presented} is the token, in time independent of both. */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
