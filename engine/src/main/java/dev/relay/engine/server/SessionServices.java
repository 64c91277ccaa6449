package dev.relay.engine.server;

import dev.relay.engine.auth.Authenticator;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.dkim.MessageSigning;
import dev.relay.engine.intake.IntakeDoor;
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
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What every session of one listener shares; {@code config} is the one view of {@code smtp.*} they read, {@code clock}
 * the relay's one wall clock (the Received date, the time a message was received); {@code signing} signs each
 * accepted message on {@code signingScheduler}, a bounded parallel scheduler, never on the session's event loop.
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
        SuppressionCheck suppression,
        MessageSigning signing,
        Scheduler signingScheduler,
        IntakeDoor intake) {

    SessionServices {
        Objects.requireNonNull(intake, "intake");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(relayPolicy, "relayPolicy");
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(clientLimits, "clientLimits");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(suppression, "suppression");
        Objects.requireNonNull(signing, "signing");
        Objects.requireNonNull(signingScheduler, "signingScheduler");
    }

    /** Without DKIM signing and without a bounce domain. */
    SessionServices(SmtpConfig config, RelayPolicy relayPolicy, Spool spool, @Nullable Authenticator authenticator,
                    @Nullable SslContext sslContext, ByteBudget budget, SmtpMetrics metrics,
                    AtomicInteger openConnections, AtomicBoolean draining, ClientLimits clientLimits, Clock clock,
                    SuppressionCheck suppression) {
        this(config, relayPolicy, spool, authenticator, sslContext, budget, metrics, openConnections, draining,
                clientLimits, clock, suppression, MessageSigning.OFF, Schedulers.immediate(), IntakeDoor.NONE);
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
                suppression, this::identities, intake.addresses());
    }

    /** The connected systems in force (none without an authenticator). */
    dev.relay.engine.identity.Identities identities() {
        Authenticator auth = authenticator;
        return auth == null ? dev.relay.engine.identity.Identities.EMPTY : auth.identities();
    }
}
