package dev.relay.engine.delivery;

import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one attempt did for one recipient, classified once (see {@link ReplyClassifier}); the rest of the engine
 * switches on it exhaustively.
 */
public sealed interface DeliveryOutcome {
    /** The next hop took responsibility (2xx after the final dot, for this recipient). */
    record Delivered(String remoteHost, SmtpReply reply) implements DeliveryOutcome {
        public Delivered {
            Objects.requireNonNull(remoteHost, "remoteHost");
            Objects.requireNonNull(reply, "reply");
        }
    }

    /**
     * A transient failure (4xx, or a local reason such as TLS required but not offered); retry later, at
     * {@code retryAfter} from now when the reply said when (greylisting, "try again in 300 seconds"), early when it
     * looks like greylisting without saying when ({@code greylisting}), else per the retry schedule. See
     * {@link RetryHint}.
     */
    record Deferred(@Nullable String remoteHost, SmtpReply reply, @Nullable Duration retryAfter, boolean greylisting)
            implements DeliveryOutcome {
        public Deferred {
            Objects.requireNonNull(reply, "reply");
            if (retryAfter != null && retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
            }
        }

        /** A deferral that says nothing about when to come back. */
        public Deferred(@Nullable String remoteHost, SmtpReply reply, @Nullable Duration retryAfter) {
            this(remoteHost, reply, retryAfter, false);
        }
    }

    /** A permanent failure (5xx, or a local reason such as the next hop lacking SMTPUTF8); final, DSN to the sender. */
    record Bounced(@Nullable String remoteHost, SmtpReply reply) implements DeliveryOutcome {
        public Bounced {
            Objects.requireNonNull(reply, "reply");
        }
    }

    /** No SMTP conversation happened or it broke off (refused, timeout, reset, TLS handshake); retried like Deferred. */
    record ConnectionFailed(@Nullable String remoteHost, String cause) implements DeliveryOutcome {
        public ConnectionFailed {
            Objects.requireNonNull(cause, "cause");
        }
    }
}
