package dev.relay.engine.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bucket on a fake clock: burst, spacing, waits, and a rate changed in between. */
class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void lowRatesAreEvenlySpacedAfterOneEvent() {
        TokenBucket bucket = new TokenBucket();
        Rate fivePerSecond = new Rate(5, Duration.ofSeconds(1));
        assertThat(bucket.take(fivePerSecond, 0)).isZero();
        long wait = bucket.take(fivePerSecond, 0);
        assertThat(wait).isEqualTo(SECOND / 5);
        assertThat(bucket.take(fivePerSecond, wait - 1)).isPositive();
        assertThat(bucket.take(fivePerSecond, wait)).isZero();
    }

    @Test
    void anyWindowHoldsAtMostBurstPlusRateTimesLength() {
        TokenBucket bucket = new TokenBucket();
        Rate rate = new Rate(100, Duration.ofSeconds(1)); // burst: a tenth of a second's worth, 10
        assertThat(TokenBucket.burst(rate)).isEqualTo(10);
        long now = 0;
        int taken = 0;
        // a greedy caller for 3 s of fake time, taking whenever allowed
        for (int i = 0; i < 100_000 && now <= 3 * SECOND; i++) {
            long wait = bucket.take(rate, now);
            if (wait == 0) {
                taken++;
            } else {
                now += wait;
            }
        }
        assertThat(taken).isBetween(300, 10 + 300 + 1);
    }

    @Test
    void aLowerRateTakesEffectAtOnce() {
        TokenBucket bucket = new TokenBucket();
        Rate fast = new Rate(1000, Duration.ofSeconds(1));
        for (int i = 0; i < 100; i++) {
            assertThat(bucket.take(fast, 0)).isZero();
        }
        Rate slow = new Rate(1, Duration.ofMinutes(1));
        // nothing left over, and a token now needs a minute
        assertThat(bucket.take(slow, 0)).isEqualTo(60 * SECOND);
        assertThat(bucket.take(slow, 60 * SECOND)).isZero();
    }

    @Test
    void hourlyRatesWork() {
        TokenBucket bucket = new TokenBucket();
        Rate rate = new Rate(2000, Duration.ofHours(1));
        assertThat(bucket.take(rate, 0)).isZero();
        assertThat(bucket.take(rate, 0)).isEqualTo(Duration.ofHours(1).toNanos() / 2000);
    }
}
