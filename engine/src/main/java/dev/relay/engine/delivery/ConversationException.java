package dev.relay.engine.delivery;

import java.time.Duration;
import java.util.Objects;

/**
 * The SMTP conversation broke off, and why, as a {@link Kind}: code that reacts to a failure switches on the kind,
 * never on the text. A plain signal with a log-safe message (what {@link ReplyClassifier#describe} reports), no
 * stack trace: it is expected on every dead peer and costs nothing to create. Build one with the factories below,
 * which hold the wording of every message in one place.
 */
final class ConversationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the conversation ended. */
    enum Kind {
        /** A command (or the greeting) got no reply within its timeout. */
        REPLY_TIMEOUT,
        /** One delivery, greeting to final reply, overran the transaction deadline. */
        DEADLINE,
        /** A block of content could not be written within the data timeout. */
        WRITE_TIMEOUT,
        /** We closed the connection (QUIT done, a failed transaction, cancellation, shutdown). */
        CLOSED_BY_US,
        /** The next hop closed the connection. */
        CLOSED_BY_PEER,
        /** A reply arrived with no command waiting for it. */
        UNSOLICITED_REPLY,
        /** A reply whose code is no SMTP reply code. */
        INVALID_REPLY;

        /** The connection went away under the commands still waiting (as opposed to one of them failing). */
        boolean closed() {
            return this == CLOSED_BY_US || this == CLOSED_BY_PEER;
        }
    }

    private final Kind kind;

    private ConversationException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    static ConversationException noReply(String what, Duration timeout) {
        return new ConversationException(Kind.REPLY_TIMEOUT, "no reply to " + what + " within " + timeout);
    }

    static ConversationException deadline(Duration deadline) {
        return new ConversationException(Kind.DEADLINE,
                "delivery not finished within the transaction deadline of " + deadline);
    }

    static ConversationException writeTimeout(Duration timeout) {
        return new ConversationException(Kind.WRITE_TIMEOUT, "data block not written within " + timeout);
    }

    static ConversationException closedByUs() {
        return new ConversationException(Kind.CLOSED_BY_US, "connection closed by us");
    }

    static ConversationException closedBy(String host) {
        return new ConversationException(Kind.CLOSED_BY_PEER, "connection closed by " + host);
    }

    static ConversationException unsolicited(String host) {
        return new ConversationException(Kind.UNSOLICITED_REPLY, "unsolicited reply from " + host);
    }

    static ConversationException invalidReply(int code, String what) {
        return new ConversationException(Kind.INVALID_REPLY, "invalid reply code " + code + " to " + what);
    }

    Kind kind() {
        return kind;
    }

    /** For a command still waiting when the connection closed: the same kind, saying which reply was lost. */
    ConversationException whileWaitingFor(String what) {
        return new ConversationException(kind, getMessage() + " while waiting for the reply to " + what);
    }
}
