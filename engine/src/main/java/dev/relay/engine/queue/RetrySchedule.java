package dev.relay.engine.queue;

import dev.relay.engine.config.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * When a deferred recipient is tried next, and when it has been queued too long.
 *
 * <p>After the n-th failed attempt the delay is {@code schedule[n-1]} (the last entry repeats), stretched by
 * {@code 1 + jitter * r} with r uniform in [0, 1) so that the recipients deferred by one burst do not all come back in
 * the same second. A greylisting reply that says when to come back ({@code retryAfter}) wins over the schedule: we
 * return a little after it ({@link #GREYLIST_MARGIN} or 10%, whichever is larger), never before, since retrying
 * early only restarts the greylisting clock on many servers. A first deferral that looks like greylisting but states
 * no time comes back after {@code greylist_retry} (with jitter) instead of the schedule's first delay, since most
 * greylists clear after a fixed few minutes; later ones follow the schedule, so a server that keeps answering
 * "greylisted" is not hammered every few minutes for days.
 *
 * <p>No attempt is scheduled after {@code receivedAt + max_lifetime}: a message that would otherwise be retried
 * later gets one last attempt at its expiry instead. The caller checks {@link #expired} after each failed attempt,
 * not before, so that last attempt is made, and bounces the recipient when it says so.
 */
public final class RetrySchedule {
    /** The least we wait beyond a greylisting server's "try again in N seconds"; its clock and ours differ. */
    static final Duration GREYLIST_MARGIN = Duration.ofSeconds(5);

    private final RetryConfig config;
    private final DoubleSupplier random;

    /** Jitter from {@link ThreadLocalRandom}: never blocks, and the jitter is no secret. */
    public RetrySchedule(RetryConfig config) {
        this(config, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** {@code random} yields values in [0, 1); tests pass a constant. */
    public RetrySchedule(RetryConfig config, DoubleSupplier random) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * The next attempt after a deferral.
     *
     * @param attemptsSoFar attempts already made, including the one that just failed (0 is read as 1)
     * @param retryAfter    when the remote server said to come back, or null to follow the schedule
     * @return at most {@code receivedAt + max_lifetime}, and not before {@code now}
     */
    public Instant nextAttempt(int attemptsSoFar, Instant now, Instant receivedAt, @Nullable Duration retryAfter) {
        return nextAttempt(attemptsSoFar, now, receivedAt, retryAfter, false, null);
    }

    /** Like the above for a reply that may look like greylisting, on the global schedule. */
    public Instant nextAttempt(int attemptsSoFar, Instant now, Instant receivedAt, @Nullable Duration retryAfter,
                               boolean greylisting) {
        return nextAttempt(attemptsSoFar, now, receivedAt, retryAfter, greylisting, null);
    }

    /**
     * The next attempt after a deferral that may look like greylisting, on a site's own schedule.
     *
     * @param greylisting the reply looked like greylisting (see {@code RetryHint}); without {@code retryAfter} the
     *                    first deferral then waits {@code greylist_retry}
     * @param schedule    the site's own schedule ({@code retry} in shaping.yaml); null: {@code delivery.retry}
     */
    public Instant nextAttempt(int attemptsSoFar, Instant now, Instant receivedAt, @Nullable Duration retryAfter,
                               boolean greylisting, @Nullable List<Duration> schedule) {
        if (attemptsSoFar < 0) {
            throw new IllegalArgumentException("attemptsSoFar must be >= 0, was " + attemptsSoFar);
        }
        Objects.requireNonNull(now, "now");
        Instant expiry = expiry(receivedAt);
        Duration delay = retryAfter != null ? afterGreylisting(retryAfter)
                : greylisting && attemptsSoFar <= 1 ? jittered(config.greylistRetry())
                : scheduled(attemptsSoFar, schedule != null ? schedule : config.schedule());
        // compare before adding: a huge retryAfter from a remote server must not overflow Instant
        Duration left = Duration.between(now, expiry);
        if (delay.compareTo(left) >= 0) {
            return left.isNegative() ? now : expiry;
        }
        return now.plus(delay);
    }

    /** True once {@code receivedAt + max_lifetime} has been reached: bounce instead of retrying. */
    public boolean expired(Instant receivedAt, Instant now) {
        Objects.requireNonNull(now, "now");
        return !now.isBefore(expiry(receivedAt));
    }

    private Instant expiry(Instant receivedAt) {
        return Objects.requireNonNull(receivedAt, "receivedAt").plus(config.maxLifetime());
    }

    private Duration scheduled(int attemptsSoFar, List<Duration> schedule) {
        int last = schedule.size() - 1;
        return jittered(schedule.get(Math.min(Math.max(attemptsSoFar - 1, 0), last)));
    }

    private Duration jittered(Duration base) {
        double r = random.getAsDouble();
        if (!(r >= 0 && r < 1)) {
            throw new IllegalStateException("random source must yield values in [0, 1), gave " + r);
        }
        // millisecond precision is plenty for retry delays and keeps the arithmetic far from overflow
        long extra = (long) (base.toMillis() * config.jitter() * r);
        return base.plusMillis(extra);
    }

    private Duration afterGreylisting(Duration retryAfter) {
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be >= 0, was " + retryAfter);
        }
        // beyond the lifetime it is capped by the expiry anyway; capping first keeps plus() from overflowing
        Duration wait = retryAfter.compareTo(config.maxLifetime()) > 0 ? config.maxLifetime() : retryAfter;
        Duration tenth = wait.dividedBy(10);
        return wait.plus(tenth.compareTo(GREYLIST_MARGIN) > 0 ? tenth : GREYLIST_MARGIN);
    }
}
