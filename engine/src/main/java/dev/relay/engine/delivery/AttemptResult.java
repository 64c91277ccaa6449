package dev.relay.engine.delivery;

import java.util.List;

/** The outcome of one transaction, one {@link DeliveryOutcome} per envelope recipient, in envelope order. */
public record AttemptResult(List<DeliveryOutcome> outcomes) {
    public AttemptResult {
        outcomes = List.copyOf(outcomes);
    }
}
