package dev.relay.engine.server;

import dev.relay.engine.config.ClientLimitsConfig;
import dev.relay.engine.config.PriorityHeaderConfig;
import dev.relay.engine.config.SmtpConfig;
import java.time.Duration;
import java.util.Objects;

/** The limits one SMTP session enforces, taken from {@code smtp.*} in relay.yaml. */
public record SmtpSettings(
        String hostname,
        long maxMessageSize,
        int maxRecipients,
        int maxConnections,
        Duration commandTimeout,
        Duration dataTimeout,
        int maxAuthFailures,
        int maxErrors,
        boolean requireTlsForAuth,
        PriorityHeaderConfig priorityHeader,
        int maxReceivedHeaders,
        ClientLimitsConfig clientLimits) {

    public SmtpSettings {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(dataTimeout, "dataTimeout");
        Objects.requireNonNull(priorityHeader, "priorityHeader");
        Objects.requireNonNull(clientLimits, "clientLimits");
        if (maxReceivedHeaders < 1) {
            throw new IllegalArgumentException("maxReceivedHeaders must be >= 1");
        }
        if (maxMessageSize < 1 || maxRecipients < 1 || maxConnections < 1 || maxAuthFailures < 1 || maxErrors < 1) {
            throw new IllegalArgumentException("SMTP limits must be >= 1");
        }
    }

    /** With the default priority header. */
    public SmtpSettings(String hostname, long maxMessageSize, int maxRecipients, int maxConnections,
                        Duration commandTimeout, Duration dataTimeout, int maxAuthFailures, int maxErrors,
                        boolean requireTlsForAuth) {
        this(hostname, maxMessageSize, maxRecipients, maxConnections, commandTimeout, dataTimeout, maxAuthFailures,
                maxErrors, requireTlsForAuth, PriorityHeaderConfig.defaults());
    }

    /** With the default Received limit and per-IP limits. */
    public SmtpSettings(String hostname, long maxMessageSize, int maxRecipients, int maxConnections,
                        Duration commandTimeout, Duration dataTimeout, int maxAuthFailures, int maxErrors,
                        boolean requireTlsForAuth, PriorityHeaderConfig priorityHeader) {
        this(hostname, maxMessageSize, maxRecipients, maxConnections, commandTimeout, dataTimeout, maxAuthFailures,
                maxErrors, requireTlsForAuth, priorityHeader, SmtpConfig.DEFAULT_MAX_RECEIVED_HEADERS,
                ClientLimitsConfig.defaults());
    }

    public static SmtpSettings from(SmtpConfig smtp) {
        return new SmtpSettings(smtp.hostname(), smtp.maxMessageSize(), smtp.maxRecipients(), smtp.maxConnections(),
                smtp.commandTimeout(), smtp.dataTimeout(), smtp.maxAuthFailures(), smtp.maxErrors(),
                smtp.auth().requireTls(), smtp.priorityHeader(), smtp.maxReceivedHeaders(), smtp.clientLimits());
    }
}
