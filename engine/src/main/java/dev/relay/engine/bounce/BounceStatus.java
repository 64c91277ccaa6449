package dev.relay.engine.bounce;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.SmtpReply;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a DSN says about one failed recipient: the RFC 3463 status, the host that answered (if any), the diagnostic,
 * and whether we gave up because the message expired. Built here, in one place, from a {@link DeliveryOutcome}.
 *
 * <p>A {@code Bounced} or {@code Deferred} outcome with a remote host is taken to carry that host's reply; without
 * one, the reply is our own (a null MX, say). {@code DeliveryOutcome} cannot yet tell a reply we synthesised after
 * talking to a host (next hop lacks SMTPUTF8) from the host's own; such a reason is reported as the host's reply.
 */
public record BounceStatus(EnhancedStatus status, @Nullable String remoteHost, Diagnostic diagnostic,
                           boolean expired) {
    /** RFC 3463 4.4.7: delivery time expired. Reported with {@code Action: failed} (RFC 3464 2.3.3). */
    public static final EnhancedStatus EXPIRED = new EnhancedStatus(4, 4, 7);

    public BounceStatus {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(diagnostic, "diagnostic");
        if (status.klass() == 2) {
            throw new IllegalArgumentException("a failure needs a 4.x.x or 5.x.x status, was " + status);
        }
    }

    /** A permanent failure: the reply's enhanced status, else one derived from its code's class. */
    public static BounceStatus of(DeliveryOutcome.Bounced bounced) {
        SmtpReply reply = bounced.reply();
        return new BounceStatus(statusOf(reply), bounced.remoteHost(), diagnostic(bounced.remoteHost(), reply),
                false);
    }

    /**
     * The message outlived {@code max_lifetime}: status 4.4.7, with the last thing that went wrong as the
     * diagnostic; {@code last} is null when no attempt was ever made.
     */
    public static BounceStatus expired(@Nullable DeliveryOutcome last) {
        if (last == null) {
            return new BounceStatus(EXPIRED, null,
                    new Diagnostic.LocalReason("no delivery attempt was made before the message expired"), true);
        }
        if (last instanceof DeliveryOutcome.Deferred deferred) {
            return new BounceStatus(EXPIRED, deferred.remoteHost(),
                    diagnostic(deferred.remoteHost(), deferred.reply()), true);
        }
        if (last instanceof DeliveryOutcome.ConnectionFailed failed) {
            return new BounceStatus(EXPIRED, failed.remoteHost(), new Diagnostic.LocalReason(failed.cause()), true);
        }
        throw new IllegalArgumentException("a recipient that expired was last deferred, not " + last);
    }

    private static EnhancedStatus statusOf(SmtpReply reply) {
        EnhancedStatus status = reply.status();
        if (status != null && status.klass() != 2) {
            return status;
        }
        // a 4xx that delivery chose to treat as final stays transient in class; anything else is a permanent failure
        return new EnhancedStatus(reply.code() / 100 == 4 ? 4 : 5, 0, 0);
    }

    private static Diagnostic diagnostic(@Nullable String remoteHost, SmtpReply reply) {
        StringBuilder text = new StringBuilder().append(reply.code());
        if (reply.status() != null) {
            text.append(' ').append(reply.status());
        }
        for (String line : reply.lines()) {
            text.append(' ').append(line);
        }
        return remoteHost != null
                ? new Diagnostic.RemoteReply(text.toString())
                : new Diagnostic.LocalReason(text.toString());
    }
}
