package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code systems}: how often each node reads the connected systems (credentials, active flags, sending domains,
 * List-Help) from the database. That interval is the bound on how long a change made on one node takes to be in force
 * on every node: a disabled system or a revoked credential is refused everywhere within it.
 */
public record SystemsConfig(Duration refreshInterval) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(5);
    static final Duration MIN_REFRESH_INTERVAL = Duration.ofMillis(100);
    static final Duration MAX_REFRESH_INTERVAL = Duration.ofMinutes(5);

    public SystemsConfig {
        Objects.requireNonNull(refreshInterval, "systems.refresh_interval");
        if (refreshInterval.compareTo(MIN_REFRESH_INTERVAL) < 0 || refreshInterval.compareTo(MAX_REFRESH_INTERVAL) > 0) {
            throw new ConfigException("systems.refresh_interval", refreshInterval.toString(), "must be between 100ms"
                    + " and 5m: it is how long a disabled system or a revoked credential stays usable on other nodes");
        }
    }

    public static SystemsConfig defaults() {
        return new SystemsConfig(DEFAULT_REFRESH_INTERVAL);
    }

    static SystemsConfig from(Section s) {
        SystemsConfig c = new SystemsConfig(s.duration("refresh_interval", DEFAULT_REFRESH_INTERVAL));
        s.finish();
        return c;
    }
}
