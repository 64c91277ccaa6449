package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The session's timeouts on fake nanosecond readings, to the nanosecond. */
class SessionDeadlinesTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long START = 5_000 * SECOND;

    /** command_timeout 10s, data_timeout 30s. */
    private final SessionDeadlines deadlines =
            new SessionDeadlines(Duration.ofSeconds(10), Duration.ofSeconds(30), START);

    @Test
    void anIdleClientIsTimedOutAfterCommandTimeoutAndNotANanosecondBefore() {
        assertThat(deadlines.firstCheck()).isEqualTo(10 * SECOND);
        assertThat(deadlines.check(START + 4 * SECOND, false, false, false))
                .isEqualTo(new SessionDeadlines.CheckAgain(6 * SECOND));
        assertThat(deadlines.check(START + 10 * SECOND - 1, false, false, false))
                .isEqualTo(new SessionDeadlines.CheckAgain(SessionDeadlines.MIN_CHECK_NANOS));
        assertThat(deadlines.check(START + 10 * SECOND, false, false, false))
                .isEqualTo(new SessionDeadlines.Idle(10 * SECOND));
    }

    @Test
    void activityMovesTheIdleDeadline() {
        deadlines.activity(START + 8 * SECOND);
        assertThat(deadlines.check(START + 10 * SECOND, false, false, false))
                .isEqualTo(new SessionDeadlines.CheckAgain(8 * SECOND));
        assertThat(deadlines.check(START + 18 * SECOND, false, false, false))
                .isEqualTo(new SessionDeadlines.Idle(10 * SECOND));
    }

    @Test
    void withinContentTheIdleLimitIsDataTimeout() {
        assertThat(deadlines.check(START + 20 * SECOND, false, false, true))
                .isEqualTo(new SessionDeadlines.CheckAgain(10 * SECOND));
        assertThat(deadlines.check(START + 30 * SECOND, false, false, true))
                .isEqualTo(new SessionDeadlines.Idle(30 * SECOND));
    }

    @Test
    void waitingForUsNeverCountsAgainstTheClient() {
        deadlines.contentStarted(START);
        assertThat(deadlines.check(START + 600 * SECOND, true, true, false))
                .as("a COMMIT that takes long: no idle timeout, no transfer deadline")
                .isInstanceOf(SessionDeadlines.CheckAgain.class);
    }

    @Test
    void theWholeTransferMustEndWithinDataTimeoutEvenWhenTheClientKeepsSendingBytes() {
        assertThat(deadlines.contentStarted(START)).as("first check: the sooner of both timeouts")
                .isEqualTo(10 * SECOND);
        for (long t = 1; t < 30; t++) {
            deadlines.activity(START + t * SECOND); // a byte a second
            assertThat(deadlines.check(START + t * SECOND, true, false, true))
                    .isEqualTo(new SessionDeadlines.CheckAgain(Math.min(30 * SECOND, (30 - t) * SECOND)));
        }
        assertThat(deadlines.check(START + 30 * SECOND, true, false, true))
                .isEqualTo(new SessionDeadlines.ContentTooSlow());
    }
}
