package dev.relay.engine.queue;

import dev.relay.engine.delivery.DeliveryOutcome;
import java.time.Duration;
import java.util.List;

/** Hooks for metrics; called on delivery threads, must not block. */
public interface DeliveryObserver {
    DeliveryObserver NONE = new DeliveryObserver() {
        @Override
        public void attempted(String site, List<DeliveryOutcome> outcomes, Duration took) {}

        @Override
        public void expired(int recipients) {}
    };

    /** One SMTP transaction (or attempt at one) against {@code site} ended with these per-recipient outcomes. */
    void attempted(String site, List<DeliveryOutcome> outcomes, Duration took);

    /** The same outcomes for the message's sender ({@code account}: its AUTH user, null without). */
    default void attemptedBy(@org.jspecify.annotations.Nullable String account, List<DeliveryOutcome> outcomes) {}

    /** Recipients bounced because their message outlived the maximum lifetime. */
    void expired(int recipients);

    /** A shaping rule of {@code site} matched a reply; {@code action}: suspend, connection_limit or max_message_rate. */
    default void ruleMatched(String site, String rule, String action) {}

    /** A write-back (or bounce notice) failed permanently: not retried, its recipients parked for an operator. */
    default void writeBackFailed() {}

    /** This node's heartbeat returned {@code recipients} claimed by a node that went silent to the queue. */
    default void claimsTakenOver(long recipients) {}

    /** A rate of {@code site} made a delivery ({@code kind} "message") or a new connection ("connection") wait. */
    default void rateWaited(String site, String kind) {}

    /** Claimed recipients went back to the spool unattempted: {@code site} held its share of the window already. */
    default void returnedForShare(String site, int recipients) {}
}
