package dev.relay.engine.outcomes;

import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.SmtpReply;
import org.jspecify.annotations.Nullable;

/** Classifies failures; see {@link BounceRules} for how. Implementations are immutable or swap immutable tables. */
public interface BounceClassifier {
    /**
     * A message that outlived {@code delivery.max_lifetime}: {@code expired}, soft, whatever its last deferral said
     * (that deferral was classified when it happened; the rules are not consulted).
     */
    static Classification expired() {
        return new Classification(Category.EXPIRED, BounceClass.SOFT, "expired");
    }

    /**
     * Classifies one failure: {@code code} the basic reply code (0 when there was no SMTP reply, e.g. a connection
     * failure), {@code status} the enhanced status if any, {@code text} the reply text (lines joined). Never throws.
     */
    Classification classify(int code, @Nullable EnhancedStatus status, CharSequence text);

    /** A reply as {@code SmtpReply} holds it. */
    default Classification classify(SmtpReply reply) {
        return classify(reply.code(), reply.status(), String.join(" ", reply.lines()));
    }

    /** A reply as one text, e.g. {@code "550 5.1.1 <a@b>: user unknown"}, multi-line, or a DSN Diagnostic-Code. */
    default Classification classify(String replyText) {
        ReplyText r = ReplyText.parse(replyText);
        return classify(r.code(), r.status(), r.text());
    }
}
