package dev.relay.engine.intake;

import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.outcomes.VerpResult;
import dev.relay.protocol.Mailbox;
import dev.relay.protocol.SmtpReply;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The RCPT side of the bounce domain: an address on it is this relay's own mailbox, accepted without AUTH or relay
 * rights when its token verifies, refused with {@code 550 5.1.1} (and counted) when it does not: a forged, altered,
 * expired or foreign token never gets as far as DATA, so nothing it carries is stored or linked. Immutable.
 */
public final class BounceAddresses {
    /** No bounce domain: every RCPT is ordinary mail. */
    public static final BounceAddresses NONE = new BounceAddresses(null, IntakeMetrics.NONE);

    private final @Nullable VerpCodec codec;
    private final IntakeMetrics metrics;

    public BounceAddresses(@Nullable VerpCodec codec, IntakeMetrics metrics) {
        this.codec = codec;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** What RCPT of {@code mailbox} is: not for the bounce domain, or accepted with its token, or refused. */
    public sealed interface Decision {
        /** An ordinary recipient: relay policy and suppression apply. */
        record NotOurs() implements Decision {
        }

        /** A bounce address whose token verified. */
        record Accepted(VerpResult.Valid token) implements Decision {
        }

        /** Refused with {@code reply}; {@code why} is for the log line. */
        record Refused(SmtpReply reply, String why) implements Decision {
        }
    }

    private static final Decision NOT_OURS = new Decision.NotOurs();

    public boolean enabled() {
        return codec != null;
    }

    public Decision atRcpt(Mailbox mailbox) {
        VerpCodec c = codec;
        if (c == null || !mailbox.domain().equalsIgnoreCase(c.settings().domain())) {
            return NOT_OURS;
        }
        VerpResult result = c.decode(mailbox);
        if (result instanceof VerpResult.Valid valid) {
            return new Decision.Accepted(valid);
        }
        String why;
        if (result instanceof VerpResult.Forged f) {
            metrics.refused("forged");
            why = "forged token: " + f.reason();
        } else if (result instanceof VerpResult.Expired e) {
            metrics.refused("expired");
            why = "expired token: " + e.age();
        } else {
            metrics.refused("malformed");
            why = "not a bounce address: " + ((VerpResult.Malformed) result).reason();
        }
        return new Decision.Refused(SmtpReply.of(550, "5.1.1", "No such bounce address"), why);
    }
}
