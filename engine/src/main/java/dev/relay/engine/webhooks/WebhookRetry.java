package dev.relay.engine.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What becomes of an outbox row whose POST failed: due again after {@code base * 2^(failures so far)}, at most
 * {@code cap}, but never later than {@code created + maxAge}, so the last try happens at the deadline; a row failing
 * at or past its deadline is dead-lettered. Deterministic (no jitter: rows of one failed batch stay together, and
 * the per-endpoint concurrency already bounds the load a recovering endpoint sees). Immutable.
 */
public record WebhookRetry(Duration base, Duration cap, Duration maxAge) {
    public WebhookRetry {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(cap, "cap");
        Objects.requireNonNull(maxAge, "maxAge");
    }

    /** The decision on one failed row. */
    public sealed interface Decision permits Retry, DeadLetter {}

    /** Post again at {@code due}. */
    public record Retry(Instant due) implements Decision {}

    /** Retried for {@code maxAge}: keep it, stop trying. */
    public record DeadLetter() implements Decision {}

    /**
     * @param failuresBefore failed POSTs of the row before this one
     * @param created        when the row was written (or replayed)
     */
    public Decision afterFailure(int failuresBefore, Instant created, Instant now) {
        Instant deadline = created.plus(maxAge);
        if (!now.isBefore(deadline)) {
            return new DeadLetter();
        }
        Instant due = now.plus(delay(failuresBefore));
        return new Retry(due.isAfter(deadline) ? deadline : due);
    }

    /** {@code base * 2^n}, at most {@code cap}. */
    Duration delay(int n) {
        int shift = Math.min(Math.max(n, 0), 40);
        long baseNanos = base.toNanos();
        if (shift >= 62 || baseNanos > (cap.toNanos() >> shift)) {
            return cap;
        }
        return Duration.ofNanos(baseNanos << shift);
    }
}
