package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The timer on an embedded event loop whose time, like the timer's, only moves when the test moves it. */
class SessionTimerTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final AtomicLong now = new AtomicLong(7 * SECOND);
    private final Session session = new Session();
    /** command_timeout 10 s, data_timeout 3 s. */
    private final SessionTimer timer;

    SessionTimerTest() {
        channel.freezeTime();
        timer = new SessionTimer(channel.eventLoop(), now::get, Duration.ofSeconds(10), Duration.ofSeconds(3),
                session);
    }

    private static final class Session implements SessionTimer.Watched {
        boolean ended;
        boolean collecting;
        boolean receiving;
        final List<SessionDeadlines.Verdict> verdicts = new ArrayList<>();

        @Override
        public boolean ended() {
            return ended;
        }

        @Override
        public boolean collecting() {
            return collecting;
        }

        @Override
        public boolean waitingForUs() {
            return false;
        }

        @Override
        public boolean receiving() {
            return receiving;
        }

        @Override
        public void timedOut(SessionDeadlines.Verdict verdict) {
            verdicts.add(verdict);
            ended = true;
        }
    }

    private void advance(long nanos) {
        now.addAndGet(nanos);
        channel.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void anIdleSessionIsToldAtCommandTimeout() {
        timer.start();
        advance(10 * SECOND - 1);
        assertThat(session.verdicts).isEmpty();
        advance(1);
        assertThat(session.verdicts).containsExactly(new SessionDeadlines.Idle(10 * SECOND));
    }

    @Test
    void activityPostponesTheTimeout() {
        timer.start();
        advance(8 * SECOND);
        timer.activity();
        advance(9 * SECOND);
        assertThat(session.verdicts).isEmpty();
        advance(SECOND);
        assertThat(session.verdicts).containsExactly(new SessionDeadlines.Idle(10 * SECOND));
    }

    @Test
    void contentThatStartsReplacesTheLaterCheckWithItsOwnDeadline() {
        timer.start();
        advance(SECOND);
        session.collecting = true;
        session.receiving = true;
        timer.contentStarted();
        for (int i = 0; i < 5; i++) {
            advance(SECOND / 2);
            timer.activity(); // a trickle: never idle
        }
        assertThat(session.verdicts).isEmpty();
        advance(SECOND / 2);
        assertThat(session.verdicts).as("3 s after the content began, not at the 10 s check")
                .containsExactly(new SessionDeadlines.ContentTooSlow());
    }

    @Test
    void anEndedOrCancelledSessionIsNotChecked() {
        timer.start();
        session.ended = true;
        advance(60 * SECOND);
        assertThat(session.verdicts).isEmpty();

        session.ended = false;
        timer.contentStarted();
        timer.cancel();
        advance(60 * SECOND);
        assertThat(session.verdicts).isEmpty();
    }
}
