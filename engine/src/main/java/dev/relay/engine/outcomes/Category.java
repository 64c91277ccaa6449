package dev.relay.engine.outcomes;

import dev.relay.protocol.EnhancedStatus;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why a delivery failed, in the terms a sender acts on. Each category implies an RFC 3463 enhanced status (what a
 * DSN or an event reports when the reply carried none of its own) and a default {@link BounceClass} (a rule may
 * override it). Codes from RFC 3463 and its updates (RFC 7372 for the authentication codes, RFC 7505 for null MX).
 */
public enum Category {
    UNKNOWN_USER("5.1.1", BounceClass.HARD, "the mailbox does not exist"),
    UNKNOWN_DOMAIN("5.1.2", BounceClass.HARD, "the domain does not exist or accepts no mail"),
    MAILBOX_FULL("5.2.2", BounceClass.SOFT, "the mailbox is over quota"),
    MAILBOX_DISABLED("5.2.1", BounceClass.HARD, "the mailbox exists but is disabled, suspended or inactive"),
    MESSAGE_TOO_LARGE("5.3.4", BounceClass.SOFT, "the message exceeds a size limit"),
    CONTENT_REJECTED("5.7.1", BounceClass.SOFT, "the content was refused as spam, malware or non-compliant"),
    POLICY("5.7.1", BounceClass.SOFT, "the sending IP or domain is blocked (reputation, blocklist, local policy)"),
    AUTHENTICATION("5.7.26", BounceClass.SOFT, "SPF, DKIM or DMARC did not pass"),
    RATE_LIMITED("4.4.5", BounceClass.SOFT, "too much mail or too many connections for now"),
    GREYLISTED("4.7.1", BounceClass.SOFT, "greylisting: come back later"),
    RELAYING_DENIED("5.7.1", BounceClass.HARD, "the host does not accept mail for this domain"),
    NETWORK("4.4.1", BounceClass.SOFT, "connection, DNS or TLS failure, or a timeout"),
    EXPIRED("4.4.7", BounceClass.SOFT, "the message outlived its lifetime without a final answer"),
    OTHER("5.0.0", BounceClass.HARD, "none of the above (4xx replies are soft all the same)");

    private final EnhancedStatus implied;
    private final BounceClass defaultClass;
    private final String description;

    Category(String implied, BounceClass defaultClass, String description) {
        this.implied = EnhancedStatus.parse(implied);
        this.defaultClass = defaultClass;
        this.description = description;
    }

    /** The RFC 3463 status this category implies, with the class of its typical reply (4 or 5). */
    public EnhancedStatus implied() {
        return implied;
    }

    /**
     * The implied status with the class of the failure at hand: 4 for a deferral (a {@code 4xx} reply), 5 for a
     * bounce, so that an expiry reports 5.4.7 when it ends delivery and a full mailbox 4.2.2 while it is retried.
     */
    public EnhancedStatus impliedFor(boolean permanent) {
        return new EnhancedStatus(permanent ? 5 : 4, implied.subject(), implied.detail());
    }

    public BounceClass defaultClass() {
        return defaultClass;
    }

    public String description() {
        return description;
    }

    /** The name in rule files and output, e.g. {@code unknown_user}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The category named {@code key} ({@code unknown_user}, any case), if any. */
    public static Optional<Category> byKey(String key) {
        String k = key.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        return Arrays.stream(values()).filter(c -> c.name().equals(k)).findFirst();
    }

    /** Every key, comma-separated, for error messages. */
    public static String keys() {
        return Arrays.stream(values()).map(Category::key).collect(Collectors.joining(", "));
    }
}
