package dev.relay.engine.server;

import dev.relay.engine.auth.Authenticator;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.storage.Spool;
import io.netty.handler.ssl.SslContext;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What every session of one listener shares; {@code config} is the one view of {@code smtp.*} they read, {@code clock}
 * the relay's one wall clock (the Received date, the time a message was received).
 */
record SessionServices(
        SmtpConfig config,
        RelayPolicy relayPolicy,
        Spool spool,
        @Nullable Authenticator authenticator,
        @Nullable SslContext sslContext,
        ByteBudget budget,
        SmtpMetrics metrics,
        AtomicInteger openConnections,
        AtomicBoolean draining,
        ClientLimits clientLimits,
        Clock clock,
        SuppressionCheck suppression) {

    SessionServices {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(relayPolicy, "relayPolicy");
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(clientLimits, "clientLimits");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(suppression, "suppression");
    }

    /** Without a suppression list. */
    SessionServices(SmtpConfig config, RelayPolicy relayPolicy, Spool spool, @Nullable Authenticator authenticator,
                    @Nullable SslContext sslContext, ByteBudget budget, SmtpMetrics metrics,
                    AtomicInteger openConnections, AtomicBoolean draining, ClientLimits clientLimits, Clock clock) {
        this(config, relayPolicy, spool, authenticator, sslContext, budget, metrics, openConnections, draining,
                clientLimits, clock, SuppressionCheck.NONE);
    }

    SessionCommands commands() {
        Authenticator auth = authenticator;
        return new SessionCommands(config, relayPolicy, () -> auth != null && auth.hasUsers(), sslContext != null,
                suppression, this::identities);
    }

    /** The connected systems in force (none without an authenticator). */
    dev.relay.engine.identity.Identities identities() {
        Authenticator auth = authenticator;
        return auth == null ? dev.relay.engine.identity.Identities.EMPTY : auth.identities();
    }
}
