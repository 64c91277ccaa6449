package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How the relay treats one site (a provider's set of MX hosts): connections, reuse, recipients per transaction,
 * timeouts (RFC 5321 4.5.3.2 defaults) and TLS. Resolved per site from {@code shaping.yaml}.
 */
public record SiteLimits(int connectionLimit, int maxDeliveriesPerConnection, int maxRecipientsPerMessage,
                         Duration idleTimeout, Duration connectTimeout, Duration greetingTimeout,
                         Duration commandTimeout, Duration dataTimeout, Duration dataEndTimeout, TlsMode tls) {
    public SiteLimits {
        Limits.check("connection_limit", connectionLimit, 1, 10_000);
        Limits.check("max_deliveries_per_connection", maxDeliveriesPerConnection, 1, 1_000_000);
        Limits.check("max_recipients_per_message", maxRecipientsPerMessage, 1, 1000);
        Limits.positive("idle_timeout", idleTimeout);
        Limits.positive("connect_timeout", connectTimeout);
        Limits.positive("greeting_timeout", greetingTimeout);
        Limits.positive("command_timeout", commandTimeout);
        Limits.positive("data_timeout", dataTimeout);
        Limits.positive("data_end_timeout", dataEndTimeout);
        Objects.requireNonNull(tls, "tls");
    }

    /**
     * 10 connections, 100 messages each, 100 recipients per transaction, 30 s idle, 30 s connect; greeting 5 min,
     * MAIL/RCPT/EHLO/RSET 5 min, DATA and each data block 3 min, final dot 10 min (RFC 5321 4.5.3.2); opportunistic TLS.
     */
    public static SiteLimits defaults() {
        return new SiteLimits(10, 100, 100, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ofMinutes(3), Duration.ofMinutes(10), TlsMode.OPPORTUNISTIC);
    }

    /** The same limits with another connection limit (what shaping rules and tarpit detection lower). */
    public SiteLimits withConnectionLimit(int limit) {
        return limit == connectionLimit ? this : new SiteLimits(limit, maxDeliveriesPerConnection,
                maxRecipientsPerMessage, idleTimeout, connectTimeout, greetingTimeout, commandTimeout, dataTimeout,
                dataEndTimeout, tls);
    }
}
