package dev.relay.engine.shaping;

/**
 * A token bucket for one rate, on a caller-supplied nanosecond clock (so tests need no real time). It holds at most
 * a tenth of a second's worth of tokens (at least one), so over any window of length T at most
 * {@code burst + rate * T} events pass, and at low rates events are evenly spaced. Not thread-safe: the owner
 * synchronizes. The rate may change between calls (hot reload, rules); tokens carry over, capped at the new burst.
 */
final class TokenBucket {
    private double tokens = -1; // < 0: not started, fills to the burst on first use
    private long updatedNanos;

    /** Takes a token and returns 0, or returns the nanoseconds until one will be there (nothing taken). */
    long take(Rate rate, long nowNanos) {
        double perNano = rate.count() / (double) rate.per().toNanos();
        double burst = burst(rate);
        if (tokens < 0) {
            tokens = burst;
        } else {
            long elapsed = Math.max(0, nowNanos - updatedNanos);
            tokens = Math.min(burst, tokens + elapsed * perNano);
        }
        updatedNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / perNano));
    }

    static double burst(Rate rate) {
        return Math.max(1, Math.floor(rate.perSecond() / 10));
    }
}
