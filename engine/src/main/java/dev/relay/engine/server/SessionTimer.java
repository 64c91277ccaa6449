package dev.relay.engine.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs one session's timeout checks on its event loop, as {@link SessionDeadlines} decides them, and tells the
 * session when one has passed. One check is scheduled at a time; the time source is injected.
 *
 * <p>Confined to the connection's event loop.
 */
final class SessionTimer {

    /** What the timer asks the session at each check, and tells it when a deadline passed. */
    interface Watched {
        /** The session is closing or closed: stop checking. */
        boolean ended();

        boolean collecting();

        boolean waitingForUs();

        boolean receiving();

        /** A deadline passed ({@link SessionDeadlines.ContentTooSlow} or {@link SessionDeadlines.Idle}). */
        void timedOut(SessionDeadlines.Verdict verdict);
    }

    private final EventExecutor loop;
    private final LongSupplier nanoTime;
    private final SessionDeadlines deadlines;
    private final Watched session;
    private @Nullable ScheduledFuture<?> check;

    SessionTimer(EventExecutor loop, LongSupplier nanoTime, Duration commandTimeout, Duration dataTimeout,
            Watched session) {
        this.loop = loop;
        this.nanoTime = nanoTime;
        this.deadlines = new SessionDeadlines(commandTimeout, dataTimeout, nanoTime.getAsLong());
        this.session = session;
    }

    void start() {
        schedule(deadlines.firstCheck());
    }

    /** The client sent something, or the session resumed reading it. */
    void activity() {
        deadlines.activity(nanoTime.getAsLong());
    }

    /** A message's content begins: its transfer deadline starts now. */
    void contentStarted() {
        long first = deadlines.contentStarted(nanoTime.getAsLong());
        // The check in flight may be set for the idle timeout, later than this message's deadline.
        cancel();
        schedule(first);
    }

    void cancel() {
        ScheduledFuture<?> check = this.check;
        if (check != null) {
            check.cancel(false);
        }
    }

    private void schedule(long delayNanos) {
        check = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (session.ended()) {
            return;
        }
        SessionDeadlines.Verdict verdict = deadlines.check(nanoTime.getAsLong(), session.collecting(),
                session.waitingForUs(), session.receiving());
        if (verdict instanceof SessionDeadlines.CheckAgain again) {
            schedule(again.nanos());
        } else {
            session.timedOut(verdict);
        }
    }
}
