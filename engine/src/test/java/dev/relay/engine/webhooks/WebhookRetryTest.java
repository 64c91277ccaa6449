package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.webhooks.WebhookRetry.DeadLetter;
import dev.relay.engine.webhooks.WebhookRetry.Retry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Backoff and dead-lettering on a fake clock, to the nanosecond. */
class WebhookRetryTest {
    private static final Instant T0 = Instant.parse("2026-12-05T00:00:00Z");
    private final WebhookRetry retry = new WebhookRetry(Duration.ofSeconds(10), Duration.ofHours(1),
            Duration.ofDays(3));

    @Test
    void delaysDoubleFromTheBaseUpToTheCap() {
        assertThat(retry.delay(0)).isEqualTo(Duration.ofSeconds(10));
        assertThat(retry.delay(1)).isEqualTo(Duration.ofSeconds(20));
        assertThat(retry.delay(8)).isEqualTo(Duration.ofSeconds(2560));
        assertThat(retry.delay(9)).isEqualTo(Duration.ofHours(1));
        assertThat(retry.delay(1000)).isEqualTo(Duration.ofHours(1));
        assertThat(new WebhookRetry(Duration.ofNanos(3), Duration.ofNanos(7), Duration.ofDays(1)).delay(1))
                .isEqualTo(Duration.ofNanos(6));
        assertThat(new WebhookRetry(Duration.ofNanos(3), Duration.ofNanos(7), Duration.ofDays(1)).delay(2))
                .isEqualTo(Duration.ofNanos(7));
    }

    @Test
    void aRowFailingEveryTimeIsRetriedOnScheduleThenDeadLetteredAtMaxAge() {
        Instant now = T0;
        int failures = 0;
        List<Duration> waits = new ArrayList<>();
        WebhookRetry.Decision d = retry.afterFailure(failures, T0, now);
        while (d instanceof Retry r) {
            assertThat(r.due()).isAfter(now).isBeforeOrEqualTo(T0.plus(Duration.ofDays(3)));
            waits.add(Duration.between(now, r.due()));
            now = r.due(); // the next POST happens when due and fails again
            failures++;
            d = retry.afterFailure(failures, T0, now);
            assertThat(failures).isLessThan(200);
        }
        assertThat(d).isInstanceOf(DeadLetter.class);
        assertThat(now).isEqualTo(T0.plus(Duration.ofDays(3)));
        assertThat(waits.subList(0, 4)).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(40), Duration.ofSeconds(80));
        // 10s..2560s (9 tries, 5110s), then hourly until the 3-day deadline, the last try exactly at it
        assertThat(waits).hasSize(9 + 70 + 1);
        assertThat(waits.get(waits.size() - 1)).isEqualTo(Duration.ofSeconds(259200 - 5110 - 70 * 3600));
    }

    @Test
    void theDeadlineIsExactAndCountsFromCreation() {
        Instant deadline = T0.plus(Duration.ofDays(3));
        assertThat(retry.afterFailure(0, T0, deadline.minusNanos(1))).isEqualTo(new Retry(deadline));
        assertThat(retry.afterFailure(0, T0, deadline)).isInstanceOf(DeadLetter.class);
        assertThat(retry.afterFailure(0, T0, deadline.plusSeconds(1))).isInstanceOf(DeadLetter.class);
        // a replayed row has a fresh creation time, so it gets max_age again
        assertThat(retry.afterFailure(5, deadline, deadline)).isEqualTo(new Retry(deadline.plusSeconds(320)));
    }
}
