package dev.relay.engine.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The {@code smtp} section; see {@code relay.example.yaml} for every key and its default. */
public record SmtpConfig(
        HostPort listen,
        String hostname,
        long maxMessageSize,
        int maxRecipients,
        int maxConnections,
        Duration commandTimeout,
        Duration dataTimeout,
        int maxAuthFailures,
        int maxErrors,
        long maxBytesInFlight,
        Duration shutdownGrace,
        List<Cidr> relayNetworks,
        List<Cidr> proxyProtocolFrom,
        @Nullable TlsFiles tls,
        AuthConfig auth,
        PriorityHeaderConfig priorityHeader,
        int maxReceivedHeaders,
        ClientLimitsConfig clientLimits) {

    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 2525);
    public static final String DEFAULT_HOSTNAME = "relay.local";
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 30L << 20;
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 256L << 20;
    /** Postfix's {@code hopcount_limit}. */
    public static final int DEFAULT_MAX_RECEIVED_HEADERS = 50;
    public static final List<Cidr> DEFAULT_RELAY_NETWORKS =
            List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

    /**
     * PostgreSQL keeps a message's content in one {@code bytea} value and takes it in one Bind message, both under
     * 1 GB; 1000 MiB leaves room for the {@code Received} and {@code DKIM-Signature} fields added before the commit.
     * A larger limit would accept a body (after {@code SIZE} said yes) that could never be committed.
     */
    public static final long MAX_MESSAGE_SIZE = 1000L << 20;

    public SmtpConfig {
        Objects.requireNonNull(listen, "smtp.listen");
        Objects.requireNonNull(hostname, "smtp.hostname");
        if (!hostname.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\\.?")) {
            throw new ConfigException("smtp.hostname", hostname, "must be a host name such as mail.example.com");
        }
        if (maxMessageSize < 1 || maxMessageSize > MAX_MESSAGE_SIZE) {
            throw new ConfigException("smtp.max_message_size", String.valueOf(maxMessageSize), "must be between 1 and "
                    + MAX_MESSAGE_SIZE + " (1000MB): the database stores a message as one value, which must stay"
                    + " under 1 GB with the header fields the relay adds");
        }
        Limits.check("smtp.max_recipients", maxRecipients, 1, 10_000);
        Limits.check("smtp.max_connections", maxConnections, 1, 1_000_000);
        Limits.positive("smtp.command_timeout", commandTimeout);
        Limits.positive("smtp.data_timeout", dataTimeout);
        Limits.check("smtp.max_auth_failures", maxAuthFailures, 1, 1000);
        Limits.check("smtp.max_errors", maxErrors, 1, 10_000);
        Limits.check("smtp.max_bytes_in_flight", maxBytesInFlight, 1, 1L << 40);
        if (maxBytesInFlight < maxMessageSize) {
            throw new ConfigException("smtp.max_bytes_in_flight", String.valueOf(maxBytesInFlight),
                    "must be at least smtp.max_message_size (" + maxMessageSize + ")");
        }
        Objects.requireNonNull(shutdownGrace, "smtp.shutdown_grace");
        if (shutdownGrace.isNegative()) {
            throw new ConfigException("smtp.shutdown_grace", shutdownGrace.toString(), "must not be negative");
        }
        relayNetworks = List.copyOf(relayNetworks);
        proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
        Objects.requireNonNull(auth, "smtp.auth");
        Objects.requireNonNull(priorityHeader, "smtp.priority_header");
        Limits.check("smtp.max_received_headers", maxReceivedHeaders, 1, 10_000);
        Objects.requireNonNull(clientLimits, "smtp.client_limits");
    }

    /** With the default {@code smtp.max_received_headers} and {@code smtp.client_limits}. */
    public SmtpConfig(HostPort listen, String hostname, long maxMessageSize, int maxRecipients, int maxConnections,
                      Duration commandTimeout, Duration dataTimeout, int maxAuthFailures, int maxErrors,
                      long maxBytesInFlight, Duration shutdownGrace, List<Cidr> relayNetworks,
                      List<Cidr> proxyProtocolFrom, @Nullable TlsFiles tls, AuthConfig auth,
                      PriorityHeaderConfig priorityHeader) {
        this(listen, hostname, maxMessageSize, maxRecipients, maxConnections, commandTimeout, dataTimeout,
                maxAuthFailures, maxErrors, maxBytesInFlight, shutdownGrace, relayNetworks, proxyProtocolFrom, tls, auth,
                priorityHeader, DEFAULT_MAX_RECEIVED_HEADERS, ClientLimitsConfig.defaults());
    }

    /** With the default {@code smtp.priority_header}. */
    public SmtpConfig(HostPort listen, String hostname, long maxMessageSize, int maxRecipients, int maxConnections,
                      Duration commandTimeout, Duration dataTimeout, int maxAuthFailures, int maxErrors,
                      long maxBytesInFlight, Duration shutdownGrace, List<Cidr> relayNetworks,
                      List<Cidr> proxyProtocolFrom, @Nullable TlsFiles tls, AuthConfig auth) {
        this(listen, hostname, maxMessageSize, maxRecipients, maxConnections, commandTimeout, dataTimeout,
                maxAuthFailures, maxErrors, maxBytesInFlight, shutdownGrace, relayNetworks, proxyProtocolFrom, tls, auth,
                PriorityHeaderConfig.defaults());
    }

    public static SmtpConfig defaults() {
        return new SmtpConfig(DEFAULT_LISTEN, DEFAULT_HOSTNAME, DEFAULT_MAX_MESSAGE_SIZE, 100, 1000,
                Duration.ofMinutes(5), Duration.ofMinutes(10), 3, 20, DEFAULT_MAX_BYTES_IN_FLIGHT,
                Duration.ofSeconds(30), DEFAULT_RELAY_NETWORKS, List.of(), null, AuthConfig.defaults(),
                PriorityHeaderConfig.defaults(), DEFAULT_MAX_RECEIVED_HEADERS, ClientLimitsConfig.defaults());
    }
}
