package dev.relay.engine.config;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code http}: the listen address of the metrics/health/admin endpoint (default 127.0.0.1:8025) and the file
 * holding the admin API's bearer token ({@code admin_token_file}; absent: the admin API is disabled).
 */
public record HttpConfig(HostPort listen, @Nullable Path adminTokenFile) {
    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 8025);

    public HttpConfig {
        Objects.requireNonNull(listen, "http.listen");
    }

    public HttpConfig(HostPort listen) {
        this(listen, null);
    }

    public static HttpConfig defaults() {
        return new HttpConfig(DEFAULT_LISTEN);
    }
}
