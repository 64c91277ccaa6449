package dev.relay.engine.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What one next hop may make a delivery cost, whatever the site's shaping says: lines and octets per reply (codec-smtp
 * alone keeps every continuation line, so an endless {@code 220-} banner would fill the heap), and a deadline for one
 * delivery from connect (or from MAIL on a reused connection) to its final reply, so that a peer answering each
 * command just within its RFC 5321 4.5.3.2 timeout cannot hold a connection slot for hours.
 *
 * @param maxReplyLines {@code delivery.max_reply_lines}
 * @param maxReplyBytes {@code delivery.max_reply_bytes}, CRLFs included
 * @param transactionDeadline {@code delivery.transaction_deadline}
 */
public record HopLimits(int maxReplyLines, int maxReplyBytes, Duration transactionDeadline) {
    /** RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send more, so lenient but bounded. */
    public static final int MAX_REPLY_LINE = 4096;

    public HopLimits {
        Limits.check("delivery.max_reply_lines", maxReplyLines, 1, 100_000);
        Limits.check("delivery.max_reply_bytes", maxReplyBytes, 512, 64L << 20);
        Objects.requireNonNull(transactionDeadline, "delivery.transaction_deadline");
        Limits.positive("delivery.transaction_deadline", transactionDeadline);
    }

    /**
     * 100 lines and 64 KiB per reply (a large EHLO reply has ~15 lines); 15 minutes per delivery: more than the
     * 10-minute final-dot timeout of RFC 5321 4.5.3.2.6 plus a normal conversation, far less than the sum of every
     * per-command timeout.
     */
    public static HopLimits defaults() {
        return new HopLimits(100, 64 * 1024, Duration.ofMinutes(15));
    }
}
