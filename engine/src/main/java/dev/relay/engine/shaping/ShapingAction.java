package dev.relay.engine.shaping;

import java.util.Objects;

/** What a matching {@link ShapingRule} does to its site for the rule's duration; restored automatically after. */
public sealed interface ShapingAction {
    /** No new deliveries to the site; queued mail waits (it is not deferred in the database). */
    record Suspend() implements ShapingAction {}

    /** At most this many connections to the site (never raises a lower configured limit). */
    record LimitConnections(int connectionLimit) implements ShapingAction {
        public LimitConnections {
            if (connectionLimit < 1) {
                throw new IllegalArgumentException("connection_limit must be >= 1, was " + connectionLimit);
            }
        }
    }

    /** At most this message rate to the site (never raises a lower configured rate). */
    record LimitMessageRate(Rate rate) implements ShapingAction {
        public LimitMessageRate {
            Objects.requireNonNull(rate, "rate");
        }
    }
}
