package dev.relay.engine.config;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * {@code smtp.auth}: the users file (none: AUTH is not offered) and whether AUTH is offered only after
 * STARTTLS ({@code require_tls}, default true).
 */
public record AuthConfig(@Nullable Path usersFile, boolean requireTls) {
    public static AuthConfig defaults() {
        return new AuthConfig(null, true);
    }
}
