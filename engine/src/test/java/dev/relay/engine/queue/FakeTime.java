package dev.relay.engine.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import reactor.test.scheduler.VirtualTimeScheduler;

/** One virtual time for a test: the timer scheduler, the ticker and the wall clock all advance together. */
final class FakeTime {
    static final Instant WALL = Instant.parse("2030-01-01T00:00:00Z");

    final VirtualTimeScheduler timers = VirtualTimeScheduler.create();
    final TimeSource time = new TimeSource(new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return WALL.plusNanos(timers.now(TimeUnit.NANOSECONDS));
        }
    }, () -> timers.now(TimeUnit.NANOSECONDS));

    void advance(Duration d) {
        timers.advanceTimeBy(d);
    }

    /** Runs what is due now without moving time. */
    void runDue() {
        timers.advanceTime();
    }

    Instant now() {
        return time.now();
    }
}
