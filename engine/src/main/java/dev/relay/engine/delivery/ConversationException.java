package dev.relay.engine.delivery;

/**
 * The SMTP conversation broke off (timeout, closed connection, unparsable or unsolicited reply). A plain signal
 * with a log-safe message, no stack trace: it is expected on every dead peer and costs nothing to create.
 */
final class ConversationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConversationException(String message) {
        super(message, null, false, false);
    }
}
