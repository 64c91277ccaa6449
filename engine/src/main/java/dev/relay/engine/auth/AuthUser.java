package dev.relay.engine.auth;

import java.util.Objects;
import java.util.regex.Pattern;

/** One AUTH user (one per connected system), its password hash and its priority lane. */
public record AuthUser(String name, PasswordHash hash, String priority) {
    public static final String TRANSACTIONAL = "transactional";
    public static final String BULK = "bulk";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

    public AuthUser {
        Objects.requireNonNull(hash, "hash");
        if (!validName(name)) {
            throw new IllegalArgumentException("user name must be 1-64 letters, digits or . _ @ + - (starting with a letter or digit)");
        }
        if (!TRANSACTIONAL.equals(priority) && !BULK.equals(priority)) {
            throw new IllegalArgumentException("priority must be " + TRANSACTIONAL + " or " + BULK);
        }
    }

    public static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }
}
