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

    /** Recipients bounced because their message outlived the maximum lifetime. */
    void expired(int recipients);
}
