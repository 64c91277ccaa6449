package dev.relay.engine.shaping;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An automation rule: when a remote reply (code, enhanced status and text, as {@code SmtpReply.toString()} renders
 * it) matches {@code reply}, apply {@code action} to the site for {@code duration}.
 */
public record ShapingRule(String name, Pattern reply, ShapingAction action, Duration duration) {
    public ShapingRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(duration, "duration");
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("rule duration must be positive, was " + duration);
        }
    }

    public boolean matches(String replyText) {
        return reply.matcher(replyText).find();
    }
}
