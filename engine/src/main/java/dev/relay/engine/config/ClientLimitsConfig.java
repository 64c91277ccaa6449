package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code smtp.client_limits}: what one client IP address may take of the front door, like Postfix's anvil
 * ({@code smtpd_client_connection_count_limit}, {@code smtpd_client_connection_rate_limit},
 * {@code smtpd_client_auth_rate_limit}). A count of 0 turns that limit off. Clients in {@code smtp.relay_networks}
 * are exempt, as Postfix exempts {@code $mynetworks} by default ({@code smtpd_client_event_limit_exceptions}).
 */
public record ClientLimitsConfig(int maxConnectionsPerIp, int maxNewConnectionsPerIpPerMinute,
                                 int maxAuthFailuresPerIpPerMinute, Duration authFailureDelay, int trackedAddresses) {

    public ClientLimitsConfig {
        Limits.check("smtp.client_limits.max_connections_per_ip", maxConnectionsPerIp, 0, 1_000_000);
        Limits.check("smtp.client_limits.max_new_connections_per_ip_per_minute", maxNewConnectionsPerIpPerMinute, 0,
                100_000_000);
        Limits.check("smtp.client_limits.max_auth_failures_per_ip_per_minute", maxAuthFailuresPerIpPerMinute, 0,
                1_000_000);
        Objects.requireNonNull(authFailureDelay, "smtp.client_limits.auth_failure_delay");
        if (authFailureDelay.isNegative() || authFailureDelay.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException("smtp.client_limits.auth_failure_delay", authFailureDelay.toString(),
                    "must be between 0s and 1m");
        }
        Limits.check("smtp.client_limits.tracked_addresses", trackedAddresses, 100, 10_000_000);
    }

    public static ClientLimitsConfig defaults() {
        return new ClientLimitsConfig(50, 600, 10, Duration.ofSeconds(1), 100_000);
    }
}
