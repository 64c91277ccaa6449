package dev.relay.engine.bounce;

import java.util.Objects;

/**
 * Why a recipient failed, as one line of text: either what the remote server replied, which RFC 3464 carries as
 * {@code Diagnostic-Code: smtp; ...}, or a reason of our own (no MX, connection refused, lifetime over), which only
 * the human-readable part shows. The text may come from a hostile server; {@link DsnBuilder} cleans it.
 */
public sealed interface Diagnostic {
    String text();

    /** A remote SMTP reply, code and enhanced status included, multi-line replies joined by spaces. */
    record RemoteReply(String text) implements Diagnostic {
        public RemoteReply {
            Objects.requireNonNull(text, "text");
        }
    }

    /** A reason of our own. */
    record LocalReason(String text) implements Diagnostic {
        public LocalReason {
            Objects.requireNonNull(text, "text");
        }
    }
}
