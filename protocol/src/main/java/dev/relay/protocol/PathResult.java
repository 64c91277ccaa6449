package dev.relay.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Outcome of parsing a MAIL FROM or RCPT TO argument: a value to act on, or the reply to send. */
public sealed interface PathResult permits PathResult.Ok, PathResult.Rejected {

    /** @param mailbox null for the null reverse path {@code <>} */
    record Ok(@Nullable Mailbox mailbox, MailParameters parameters) implements PathResult {
        public Ok {
            Objects.requireNonNull(parameters, "parameters");
        }
    }

    record Rejected(SmtpReply reply) implements PathResult {
        public Rejected {
            Objects.requireNonNull(reply, "reply");
            if (reply.isPositive()) {
                throw new IllegalArgumentException("a rejection needs a negative reply, was " + reply);
            }
        }
    }
}
