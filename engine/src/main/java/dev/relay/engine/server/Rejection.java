package dev.relay.engine.server;

import java.util.Locale;

/**
 * Why a message (or its envelope) was refused: the {@code reason} tag of {@code relay_messages_rejected_total}.
 * Decided where the refusal is decided, never recognised afterwards from the reply it produced.
 */
enum Rejection {
    /** RCPT from a client that may not relay. */
    RELAY_DENIED,
    /** DATA after no accepted recipient. */
    NO_RECIPIENTS,
    /** Over {@code smtp.max_message_size}: declared at MAIL FROM (SIZE=) or counted in the content. */
    SIZE,
    /** Content the spool cannot take: NUL bytes, over-long lines, an envelope it refuses. */
    CONTENT,
    /** More Received fields than {@code smtp.max_received_headers}: a mail loop. */
    LOOP,
    /** RCPT of an address on the suppression list. */
    SUPPRESSED,
    /** RCPT while the suppression list could not be read (database unavailable): 451, never accepted unchecked. */
    SUPPRESSION_UNAVAILABLE,
    /** An authenticated system used a sender (envelope or header From) outside its sending domains. */
    SENDER_DOMAIN,
    /** MAIL in a session whose system was disabled after it authenticated. */
    SYSTEM_DISABLED,
    /** RCPT of an address on the bounce domain whose VERP token does not verify (forged, altered, expired). */
    BOUNCE_ADDRESS,
    /** Bounce-domain and ordinary recipients in one transaction: 452, the client sends them apart. */
    MIXED_INTAKE,
    /** The spool could not COMMIT (database unavailable). */
    SPOOL_UNAVAILABLE,
    /** An authenticated submission whose header From domain has no active DKIM key ({@code dkim.missing_key}). */
    DKIM_KEY_MISSING,
    /** The DKIM signature could not be made (a provider refused a key): 451, the client retries. */
    DKIM_FAILED;

    /** The metric tag value. */
    String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
