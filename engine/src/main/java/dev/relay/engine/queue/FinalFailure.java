package dev.relay.engine.queue;

import dev.relay.protocol.SmtpReply;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One recipient that will never be delivered: the reply that decided it (remote, or a local one such as a null MX),
 * the host that gave it, and whether it ran out of time rather than being refused.
 */
public record FinalFailure(String address, SmtpReply reply, @Nullable String remoteHost, boolean expired, Instant at) {
    public FinalFailure {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(at, "at");
    }
}
