package dev.relay.engine.config;

import java.util.Objects;

/** {@code http}: the listen address of the metrics/health endpoint (default 127.0.0.1:8025). */
public record HttpConfig(HostPort listen) {
    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 8025);

    public HttpConfig {
        Objects.requireNonNull(listen, "http.listen");
    }

    public static HttpConfig defaults() {
        return new HttpConfig(DEFAULT_LISTEN);
    }
}
