package dev.relay.storage;

import java.util.Locale;

/**
 * The {@code event.kind} codes, with the names the admin API shows. Codes are stored, so they never change meaning;
 * a code this build does not know (a newer node wrote it) is shown as {@code kind_<n>}.
 */
public enum EventKind {
    ACCEPTED(1),
    DELIVERED(2),
    DEFERRED(3),
    BOUNCED(4),
    EXPIRED(5),
    /** Returned to the queue without an attempt because its site is suspended. */
    HELD(6),
    /** Bounced by an operator ({@code relay queue bounce}); the sender got a DSN. */
    ADMIN_BOUNCED(7),
    /** Deleted by an operator ({@code relay queue delete}); no DSN. */
    ADMIN_DELETED(8),
    /** Next attempt moved to now by an operator ({@code relay queue flush}). */
    FLUSHED(9),
    SITE_SUSPENDED(10),
    SITE_RESUMED(11),
    /** An address was added to the suppression list, or its reason raised (schema V4). */
    SUPPRESSION_ADDED(12),
    /** An address was taken off the suppression list. */
    SUPPRESSION_REMOVED(13),
    /**
     * A recipient accepted under {@code suppression.mode: accept_and_record} while suppressed: retired at
     * acceptance, never delivered, no DSN. Final, like delivered or bounced.
     */
    SUPPRESSED(14),
    /**
     * An ARF feedback report (RFC 5965) about a delivered message came back to the bounce domain (schema V9). Codes
     * 20 and up are the bounce intake's, apart from those other features take.
     */
    COMPLAINED(20),
    /** An out-of-office or other automatic reply (RFC 3834) came back to the bounce domain: not a bounce. */
    AUTO_REPLIED(21),
    /** A bounce came back that could not be used (unparseable, or its recipient unknown): kept in bounce_kept. */
    BOUNCE_KEPT(22),
    /**
     * Rollup-only codes (never an event row): the bounced events (synchronous or asynchronous) counted again by
     * class, so statistics show hard and soft bounces apart.
     */
    HARD_BOUNCE(101),
    SOFT_BOUNCE(102);

    private final short code;

    EventKind(int code) {
        this.code = (short) code;
    }

    public short code() {
        return code;
    }

    /** Lower-case name, e.g. {@code admin_bounced}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The label of a stored code, known or not. */
    public static String labelOf(int code) {
        for (EventKind k : values()) {
            if (k.code == code) {
                return k.label();
            }
        }
        return "kind_" + code;
    }
}
