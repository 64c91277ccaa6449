package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.ConversationException.Kind;
import dev.relay.protocol.SmtpReply;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.smtp.DefaultSmtpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Reply matching, latencies, failures and the deadline of one connection, on an embedded channel and fake time. */
class PendingRepliesTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final AtomicLong now = new AtomicLong();
    private final List<Long> latencies = new ArrayList<>();
    private final AtomicInteger closes = new AtomicInteger();
    private final SitePacing pacing = new SitePacing() {
        @Override
        public long tryOpen() {
            return 0;
        }

        @Override
        public void replied(long nanos) {
            latencies.add(nanos);
        }
    };

    private PendingReplies replies(Duration deadline) {
        channel.freezeTime();
        return new PendingReplies(channel, "mx.example", pacing, deadline, now::get, closes::incrementAndGet);
    }

    private static <T> AtomicReference<Object> watch(Mono<T> mono) {
        AtomicReference<Object> seen = new AtomicReference<>();
        mono.subscribe(seen::set, seen::set);
        return seen;
    }

    @Test
    void repliesAnswerCommandsInOrderAndLatencyCountsFromThePreviousReply() {
        PendingReplies replies = replies(TIMEOUT);
        AtomicReference<Object> mail = watch(replies.expect(TIMEOUT, "MAIL", true));
        AtomicReference<Object> rcpt = watch(replies.expect(TIMEOUT, "RCPT", true));
        AtomicReference<Object> dot = watch(replies.expect(TIMEOUT, "end of data", false));
        now.set(5);
        replies.received(new DefaultSmtpResponse(250, "2.1.0 sender ok"));
        now.set(12);
        replies.received(new DefaultSmtpResponse(550, "5.1.1 no such user"));
        now.set(40);
        replies.received(new DefaultSmtpResponse(250, "2.0.0 queued"));

        assertThat(((SmtpReply) mail.get()).code()).isEqualTo(250);
        assertThat(((SmtpReply) rcpt.get()).code()).isEqualTo(550);
        assertThat(((SmtpReply) dot.get()).code()).isEqualTo(250);
        // RCPT was registered at 0 but could only be answered after MAIL's reply at 5; the dot is not measured
        assertThat(latencies).containsExactly(5L, 7L);
        assertThat(replies.failure()).isNull();
        assertThat(closes).hasValue(0);
    }

    @Test
    void theEndOfTheConnectionFailsEveryWaitingCommandNamingIt() {
        PendingReplies replies = replies(TIMEOUT);
        AtomicReference<Object> mail = watch(replies.expect(TIMEOUT, "MAIL", true));
        AtomicReference<Object> rcpt = watch(replies.expect(TIMEOUT, "RCPT", true));

        replies.ended(null);

        assertThat(mail.get()).isInstanceOfSatisfying(ConversationException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.CLOSED_BY_PEER);
            assertThat(e).hasMessage("connection closed by mx.example while waiting for the reply to MAIL");
        });
        assertThat(rcpt.get()).isInstanceOfSatisfying(ConversationException.class,
                e -> assertThat(e).hasMessage("connection closed by mx.example while waiting for the reply to RCPT"));
        assertThat(closes.get()).isPositive();
        // a command after the failure fails at once, with the first cause
        assertThat(watch(replies.expect(TIMEOUT, "RSET", true)).get()).isSameAs(replies.failure());
    }

    @Test
    void aFailureThatIsNoCloseReachesTheWaitingCommandsUnchanged() {
        PendingReplies replies = replies(TIMEOUT);
        AtomicReference<Object> mail = watch(replies.expect(TIMEOUT, "MAIL", true));
        ConversationException written = ConversationException.writeTimeout(Duration.ofSeconds(3));

        replies.fail(written);

        assertThat(mail.get()).isSameAs(written);
    }

    @Test
    void anUnsolicitedReplyFailsTheConnection() {
        PendingReplies replies = replies(TIMEOUT);

        replies.received(new DefaultSmtpResponse(250, "surprise"));

        assertThat(replies.failure()).isInstanceOfSatisfying(ConversationException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.UNSOLICITED_REPLY);
            assertThat(e).hasMessage("unsolicited reply from mx.example");
        });
        assertThat(closes.get()).isPositive();
    }

    @Test
    void aCommandWithoutAReplyInTimeFailsTheConnectionAndCountsTheWholeWait() {
        PendingReplies replies = replies(TIMEOUT);
        StepVerifier.withVirtualTime(() -> replies.expect(Duration.ofSeconds(30), "DATA", true))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(30))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(ConversationException.class).hasMessage("no reply to DATA within PT30S");
                    assertThat(((ConversationException) e).kind()).isEqualTo(Kind.REPLY_TIMEOUT);
                })
                .verify(Duration.ofSeconds(10));
        assertThat(latencies).containsExactly(Duration.ofSeconds(30).toNanos());
        assertThat(closes.get()).isPositive();
    }

    @Test
    void theDeadlineFailsTheConversationUnlessDisarmedInTime() {
        PendingReplies replies = replies(Duration.ofSeconds(60));
        replies.armDeadline();
        channel.advanceTimeBy(59, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(replies.failure()).isNull();
        replies.disarmDeadline();
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(replies.failure()).isNull();

        AtomicReference<Object> mail = watch(replies.expect(TIMEOUT, "MAIL", true));
        replies.armDeadline();
        channel.advanceTimeBy(60, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(mail.get()).isInstanceOfSatisfying(ConversationException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.DEADLINE);
            assertThat(e).hasMessage("delivery not finished within the transaction deadline of PT1M");
        });
        assertThat(closes.get()).isPositive();
    }
}
