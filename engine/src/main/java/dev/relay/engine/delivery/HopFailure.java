package dev.relay.engine.delivery;

/**
 * Opening a connection to one hop failed: {@code outcome} is what every recipient would get if no other hop
 * works. {@code retryWithoutTls}: an opportunistic STARTTLS handshake failed, so the same hop is worth one more
 * plaintext attempt (what Postfix does, since the alternative to plaintext is no delivery at all).
 */
final class HopFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient DeliveryOutcome outcome;
    private final boolean retryWithoutTls;

    HopFailure(DeliveryOutcome outcome, boolean retryWithoutTls) {
        super(outcome.toString(), null, false, false);
        this.outcome = outcome;
        this.retryWithoutTls = retryWithoutTls;
    }

    DeliveryOutcome outcome() {
        return outcome;
    }

    boolean retryWithoutTls() {
        return retryWithoutTls;
    }
}
