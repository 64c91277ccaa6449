package dev.relay.engine.delivery;

import dev.relay.protocol.SmtpReply;
import io.netty.channel.Channel;
import io.netty.handler.codec.smtp.SmtpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Matches the replies of one SMTP client connection to its commands, and keeps its clocks: the per-command reply
 * timeouts, the transaction deadline and the reply latencies reported to the site's pacing.
 *
 * <p>Replies are matched by order (RFC 2920): every command registers an expectation before it is written, so
 * pipelined groups and single commands share one mechanism. A reply's latency counts from its expectation or from
 * the previous reply, whichever is later (RFC 5321 4.5.3.2 times each command from there). The first failure (a
 * timeout, the deadline, an unsolicited or unparsable reply, a failed write, the end of the connection) is kept,
 * closes the connection and fails every expectation still waiting, and every later one at once.
 *
 * <p>Threads: {@code pending}, {@code lastReplyNanos} and {@code deadlineTimer} belong to the channel's event loop
 * (every method but {@link #fail} and {@link #failure} must run there). {@code failure} is volatile and may be set
 * from any thread (reply timeouts fire on Reactor's timer); the first writer wins, and a rare second writer racing it
 * changes only which of two equally fatal causes is reported.
 */
final class PendingReplies {
    /** {@code sinceNanos}: when the expectation was registered; {@code measured}: its latency goes to pacing. */
    private record Pending(Sinks.One<SmtpReply> sink, String what, long sinceNanos, boolean measured) {
    }

    private final Channel channel;
    private final String host;
    private final SitePacing pacing;
    private final Duration deadline;
    private final LongSupplier nanoTime;
    private final Runnable close;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>(); // event loop only
    private long lastReplyNanos; // event loop only
    private @Nullable ScheduledFuture<?> deadlineTimer; // event loop only
    private volatile @Nullable Throwable failure;

    /**
     * @param host     the next hop's name, for messages
     * @param deadline how long one delivery may take, see {@link #armDeadline}
     * @param nanoTime the ticker latencies are measured on ({@code System::nanoTime} but in tests)
     * @param close    closes the connection; called on the first failure, from any thread
     */
    PendingReplies(Channel channel, String host, SitePacing pacing, Duration deadline, LongSupplier nanoTime,
                   Runnable close) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.host = Objects.requireNonNull(host, "host");
        this.pacing = Objects.requireNonNull(pacing, "pacing");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.close = Objects.requireNonNull(close, "close");
    }

    /** The first failure, or null while the conversation is alive. */
    @Nullable Throwable failure() {
        return failure;
    }

    /**
     * Event loop only, in the order the commands are written: the reply to {@code what}, or an error after
     * {@code timeout} (which then fails the connection). {@code measured}: false for replies whose wait says nothing
     * about the peer's speed (the final dot's waits for our upload; QUIT's does not matter).
     */
    Mono<SmtpReply> expect(Duration timeout, String what, boolean measured) {
        Sinks.One<SmtpReply> sink = Sinks.one();
        Throwable dead = failure;
        Pending expected = new Pending(sink, what, nanoTime.getAsLong(), measured);
        if (dead != null) {
            sink.tryEmitError(dead);
        } else {
            pending.add(expected);
        }
        return sink.asMono().timeout(timeout, Mono.defer(() -> {
            if (measured) {
                pacing.replied(timeout.toNanos()); // the slowest reply of all: none
            }
            ConversationException e = ConversationException.noReply(what, timeout);
            fail(e);
            return Mono.error(e);
        }));
    }

    /** Event loop only: one decoded message from the connection. */
    void received(Object message) {
        Pending next = pending.poll();
        if (!(message instanceof SmtpResponse response) || next == null) {
            fail(ConversationException.unsolicited(host));
            return;
        }
        long now = nanoTime.getAsLong();
        if (next.measured()) {
            pacing.replied(now - Math.max(next.sinceNanos(), lastReplyNanos));
        }
        lastReplyNanos = now;
        SmtpReply reply;
        try {
            reply = SmtpReply.fromWire(response.code(), response.details());
        } catch (IllegalArgumentException e) {
            ConversationException broken = ConversationException.invalidReply(response.code(), next.what());
            fail(broken);
            next.sink().tryEmitError(broken);
            return;
        }
        next.sink().tryEmitValue(reply);
    }

    /** The inbound side ended: with {@code error}, or (null) because the peer closed the connection. */
    void ended(@Nullable Throwable error) {
        fail(error != null ? error : ConversationException.closedBy(host));
    }

    /**
     * Event loop only. Starts the transaction deadline unless it runs already: passing it fails the conversation like
     * any timeout (ConnectionFailed, retried).
     */
    void armDeadline() {
        if (deadlineTimer == null && failure == null) {
            deadlineTimer = channel.eventLoop().schedule(() -> fail(ConversationException.deadline(deadline)),
                    deadline.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** From any thread: stops the deadline (the result is in, or the connection is gone). */
    void disarmDeadline() {
        onLoop(() -> {
            if (deadlineTimer != null) {
                deadlineTimer.cancel(false);
                deadlineTimer = null;
            }
        });
    }

    /** From any thread: records the first failure, closes the connection, and fails every waiting expectation. */
    void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        onLoop(() -> {
            Throwable first = failure;
            Pending p;
            while ((p = pending.poll()) != null) {
                p.sink().tryEmitError(first instanceof ConversationException c && c.kind().closed()
                        ? c.whileWaitingFor(p.what()) : first);
            }
        });
        close.run();
    }

    /** Runs {@code task} on the channel's event loop: now when called there, else as soon as it is free. */
    void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }
}
