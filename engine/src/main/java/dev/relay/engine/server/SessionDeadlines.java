package dev.relay.engine.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * When a session has waited too long, on nanosecond readings it is given (no clock of its own): {@code
 * command_timeout} idle between commands, {@code data_timeout} idle within content, and {@code data_timeout} for the
 * whole transfer of one message, so a client trickling a byte now and then cannot hold its share of the byte budget
 * for longer. Time spent waiting for us (a COMMIT, a password check) never counts against the client.
 *
 * <p>Confined to the connection's event loop, like the session that owns it.
 */
final class SessionDeadlines {
    /** No check sooner than this after the previous one. */
    static final long MIN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** What a check found. */
    sealed interface Verdict {
    }

    /** Nothing is late: check again after {@code nanos}. */
    record CheckAgain(long nanos) implements Verdict {
    }

    /** The content of the current message is not complete after {@code data_timeout}. */
    record ContentTooSlow() implements Verdict {
    }

    /** The client has been silent too long ({@code idleNanos}). */
    record Idle(long idleNanos) implements Verdict {
    }

    private final long commandTimeout;
    private final long dataTimeout;
    private long lastActivity;
    private long contentDeadline;

    SessionDeadlines(Duration commandTimeout, Duration dataTimeout, long now) {
        this.commandTimeout = commandTimeout.toNanos();
        this.dataTimeout = dataTimeout.toNanos();
        this.lastActivity = now;
    }

    /** The client sent something, or we resumed reading it. */
    void activity(long now) {
        lastActivity = now;
    }

    /** The delay of the first check of a connection. */
    long firstCheck() {
        return commandTimeout;
    }

    /** A message's content begins: its whole transfer must end by {@code now + data_timeout}. Returns when to check. */
    long contentStarted(long now) {
        contentDeadline = now + dataTimeout;
        return Math.min(dataTimeout, commandTimeout);
    }

    /**
     * @param collecting a message's content is being collected (its transfer deadline applies)
     * @param waitingForUs the session waits for its own asynchronous step
     * @param receiving content, not commands, is expected (the idle limit is {@code data_timeout})
     */
    Verdict check(long now, boolean collecting, boolean waitingForUs, boolean receiving) {
        if (collecting && !waitingForUs && now - contentDeadline >= 0) {
            return new ContentTooSlow();
        }
        long timeout = receiving ? dataTimeout : commandTimeout;
        long idle = now - lastActivity;
        if (waitingForUs || idle < timeout) {
            long next = Math.max(timeout - idle, MIN_CHECK_NANOS);
            if (collecting) {
                next = Math.min(next, Math.max(contentDeadline - now, MIN_CHECK_NANOS));
            }
            return new CheckAgain(next);
        }
        return new Idle(idle);
    }
}
