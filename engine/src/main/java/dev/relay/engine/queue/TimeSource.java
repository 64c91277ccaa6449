package dev.relay.engine.queue;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The delivery scheduler's one time source: the wall clock for what the spool stores (next attempts, holds), a
 * monotonic nanosecond ticker for intervals, deadlines and rates. Tests pass fake ones of both.
 */
public record TimeSource(Clock clock, LongSupplier ticker) {
    public TimeSource {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(ticker, "ticker");
    }

    /** {@code clock} with the JVM's monotonic ticker. */
    public static TimeSource system(Clock clock) {
        return new TimeSource(clock, System::nanoTime);
    }

    Instant now() {
        return clock.instant();
    }

    long nanos() {
        return ticker.getAsLong();
    }
}
