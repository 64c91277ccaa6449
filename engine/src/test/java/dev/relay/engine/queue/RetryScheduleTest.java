package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    private static final Instant RECEIVED = Instant.parse("2025-03-01T10:00:00Z");
    private static final RetryConfig CONFIG = new RetryConfig(
            List.of(Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofHours(1)), 0.2, Duration.ofDays(2));

    private static RetrySchedule withRandom(double r) {
        return new RetrySchedule(CONFIG, () -> r);
    }

    @Test
    void followsTheScheduleAndRepeatsItsLastDelay() {
        RetrySchedule schedule = withRandom(0);
        Instant now = RECEIVED.plusSeconds(30);
        assertThat(schedule.nextAttempt(1, now, RECEIVED, null)).isEqualTo(now.plus(Duration.ofMinutes(1)));
        assertThat(schedule.nextAttempt(2, now, RECEIVED, null)).isEqualTo(now.plus(Duration.ofMinutes(10)));
        assertThat(schedule.nextAttempt(3, now, RECEIVED, null)).isEqualTo(now.plus(Duration.ofHours(1)));
        assertThat(schedule.nextAttempt(40, now, RECEIVED, null)).isEqualTo(now.plus(Duration.ofHours(1)));
    }

    @Test
    void zeroAttemptsIsReadAsTheFirst() {
        Instant now = RECEIVED;
        assertThat(withRandom(0).nextAttempt(0, now, RECEIVED, null)).isEqualTo(now.plus(Duration.ofMinutes(1)));
    }

    @Test
    void jitterStretchesTheDelayByUpToItsFraction() {
        Instant now = RECEIVED;
        assertThat(withRandom(0.5).nextAttempt(2, now, RECEIVED, null))
                .isEqualTo(now.plus(Duration.ofMinutes(11)));
        Instant almostMax = withRandom(Math.nextDown(1.0)).nextAttempt(2, now, RECEIVED, null);
        assertThat(almostMax).isBefore(now.plus(Duration.ofMinutes(12))).isAfter(now.plus(Duration.ofSeconds(719)));
    }

    @Test
    void defaultRandomStaysWithinTheJitterBand() {
        RetrySchedule schedule = new RetrySchedule(CONFIG);
        for (int i = 0; i < 1000; i++) {
            Instant next = schedule.nextAttempt(3, RECEIVED, RECEIVED, null);
            assertThat(Duration.between(RECEIVED, next))
                    .isBetween(Duration.ofHours(1), Duration.ofMinutes(72));
        }
    }

    @Test
    void greylistingReplyWinsWithASmallMarginAndNoJitter() {
        RetrySchedule schedule = withRandom(0.9);
        Instant now = RECEIVED.plusSeconds(5);
        assertThat(schedule.nextAttempt(1, now, RECEIVED, Duration.ofSeconds(30)))
                .as("short waits get the fixed margin").isEqualTo(now.plusSeconds(35));
        assertThat(schedule.nextAttempt(5, now, RECEIVED, Duration.ofMinutes(10)))
                .as("long waits get 10%").isEqualTo(now.plusSeconds(660));
        assertThat(schedule.nextAttempt(1, now, RECEIVED, Duration.ZERO)).isEqualTo(now.plusSeconds(5));
    }

    @Test
    void greylistingWithoutAStatedTimeComesBackEarlyOnceThenFollowsTheSchedule() {
        RetryConfig config = new RetryConfig(List.of(Duration.ofMinutes(15), Duration.ofMinutes(30)), 0.2,
                Duration.ofDays(2), Duration.ofMinutes(4));
        Instant now = RECEIVED.plusSeconds(5);
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(1, now, RECEIVED, null, true))
                .isEqualTo(now.plus(Duration.ofMinutes(4)));
        assertThat(new RetrySchedule(config, () -> 0.5).nextAttempt(1, now, RECEIVED, null, true))
                .as("jittered like the schedule").isEqualTo(now.plus(Duration.ofMinutes(4)).plusSeconds(24));
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(2, now, RECEIVED, null, true))
                .as("greylisted again: the schedule").isEqualTo(now.plus(Duration.ofMinutes(30)));
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(1, now, RECEIVED, null, false))
                .isEqualTo(now.plus(Duration.ofMinutes(15)));
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(3, now, RECEIVED, Duration.ofSeconds(60), true))
                .as("a stated time wins").isEqualTo(now.plusSeconds(66));
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(0, now, RECEIVED, null, true))
                .isEqualTo(now.plus(Duration.ofMinutes(4)));
    }

    @Test
    void theDefaultGreylistRetryIsFiveMinutes() {
        RetryConfig config = new RetryConfig(List.of(Duration.ofMinutes(1)), 0, Duration.ofDays(1));
        assertThat(new RetrySchedule(config, () -> 0).nextAttempt(1, RECEIVED, RECEIVED, null, true))
                .isEqualTo(RECEIVED.plus(Duration.ofMinutes(5)));
    }

    @Test
    void neverLaterThanTheExpiry() {
        RetrySchedule schedule = withRandom(0.99);
        Instant expiry = RECEIVED.plus(Duration.ofDays(2));
        Instant now = expiry.minus(Duration.ofMinutes(20));
        assertThat(schedule.nextAttempt(3, now, RECEIVED, null)).isEqualTo(expiry);
        assertThat(schedule.nextAttempt(1, now, RECEIVED, null)).isBefore(expiry);
        assertThat(schedule.nextAttempt(1, now, RECEIVED, Duration.ofDays(365)))
                .as("a remote server cannot push us past the expiry").isEqualTo(expiry);
        assertThat(schedule.nextAttempt(1, now, RECEIVED, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)))
                .as("nor overflow the arithmetic").isEqualTo(expiry);
    }

    @Test
    void theLastAttemptAtTheExpiryIsFollowedByExpiry() {
        RetrySchedule schedule = withRandom(0);
        Instant expiry = RECEIVED.plus(Duration.ofDays(2));
        Instant beforeLast = expiry.minusSeconds(30);
        assertThat(schedule.expired(RECEIVED, beforeLast)).isFalse();
        Instant last = schedule.nextAttempt(3, beforeLast, RECEIVED, null);
        assertThat(last).isEqualTo(expiry);
        assertThat(schedule.expired(RECEIVED, last)).as("a deferral at the last attempt bounces").isTrue();
        assertThat(schedule.expired(RECEIVED, expiry.minusMillis(1))).isFalse();
    }

    @Test
    void pastTheExpiryTheNextAttemptIsNow() {
        Instant now = RECEIVED.plus(Duration.ofDays(3));
        assertThat(withRandom(0).nextAttempt(2, now, RECEIVED, null)).isEqualTo(now);
        assertThat(withRandom(0).expired(RECEIVED, now)).isTrue();
    }

    @Test
    void refusesNonsense() {
        RetrySchedule schedule = withRandom(0);
        assertThatThrownBy(() -> schedule.nextAttempt(-1, RECEIVED, RECEIVED, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> schedule.nextAttempt(1, RECEIVED, RECEIVED, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> withRandom(1.0).nextAttempt(1, RECEIVED, RECEIVED, null))
                .isInstanceOf(IllegalStateException.class);
    }
}
