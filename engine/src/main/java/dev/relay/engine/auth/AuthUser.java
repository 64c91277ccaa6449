package dev.relay.engine.auth;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One user of a users file: a connected system with one credential, its password hash, its priority lane and the
 * domains it sends as ({@code relay system import} turns it into database rows).
 */
public record AuthUser(String name, PasswordHash hash, String priority, List<String> domains) {
    public static final String TRANSACTIONAL = "transactional";
    public static final String BULK = "bulk";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

    public AuthUser {
        Objects.requireNonNull(hash, "hash");
        domains = List.copyOf(domains);
        if (!validName(name)) {
            throw new IllegalArgumentException("user name must be 1-64 letters, digits or . _ @ + - (starting with a letter or digit)");
        }
        if (!TRANSACTIONAL.equals(priority) && !BULK.equals(priority)) {
            throw new IllegalArgumentException("priority must be " + TRANSACTIONAL + " or " + BULK);
        }
    }

    /** Without sending domains. */
    public AuthUser(String name, PasswordHash hash, String priority) {
        this(name, hash, priority, List.of());
    }

    /**
     * The connected system this user becomes when a users file is imported: the name in lower case, any character a
     * system name cannot hold ({@code @ +}) as {@code -}. Usually the name itself.
     */
    public String systemName() {
        return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
    }

    public static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }
}
