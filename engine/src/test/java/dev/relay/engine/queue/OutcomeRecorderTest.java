package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.bounce.BounceSink;
import dev.relay.engine.config.RetryConfig;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.RecipientUpdate;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The write-back on virtual time: transient errors retried, permanent ones parked, a bounce notice stored once. */
class OutcomeRecorderTest {
    private static final DeliveryOutcome DELIVERED = new DeliveryOutcome.Delivered("mx.example",
            SmtpReply.of(250, "2.0.0", "ok"));
    private static final DeliveryOutcome BOUNCED = new DeliveryOutcome.Bounced("mx.example",
            SmtpReply.of(550, "5.1.1", "no such user"));

    private final FakeTime time = new FakeTime();
    private final FakeDeliveryStore store = new FakeDeliveryStore();
    private final Window window = new Window(10);
    private final AtomicInteger notices = new AtomicInteger();
    private final Deque<Throwable> noticeFailures = new ArrayDeque<>();
    private final AtomicInteger writeBackFailed = new AtomicInteger();
    private final AtomicInteger written = new AtomicInteger();
    private volatile boolean closed;

    private final BounceSink bounces = (message, content, failures) -> Mono.defer(() -> {
        Throwable failure = noticeFailures.poll();
        if (failure != null) {
            return Mono.error(failure);
        }
        notices.incrementAndGet();
        return Mono.empty();
    });

    private final DeliveryObserver observer = new DeliveryObserver() {
        @Override
        public void attempted(String site, List<DeliveryOutcome> outcomes, Duration took) {
        }

        @Override
        public void expired(int recipients) {
        }

        @Override
        public void writeBackFailed() {
            writeBackFailed.incrementAndGet();
        }
    };

    private final OutcomeRecorder recorder = new OutcomeRecorder("n1", store, new OutcomeUpdates(new RetrySchedule(
            new RetryConfig(List.of(Duration.ofMinutes(1)), 0.2, Duration.ofDays(2)), () -> 0)), bounces,
            new ContentCache(store, 1 << 20, Duration.ofMinutes(5)), observer, window, time.time, time.timers,
            () -> closed, written::incrementAndGet);

    private DeliveryJob claimed(int recipients) {
        window.tryReserve(recipients);
        return Jobs.job("example.com", recipients, FakeTime.WALL);
    }

    private void record(DeliveryJob job, DeliveryOutcome... outcomes) {
        recorder.record(job, new byte[] {'x'}, List.of(outcomes), null, "example-site").subscribe();
    }

    @Test
    void aTransientFailureIsRetriedWhileTheRecipientsStayClaimed() {
        store.recordFailures.add(new IOException("connection reset"));
        store.recordFailures.add(new IOException("connection reset"));
        DeliveryJob job = claimed(2);
        record(job, DELIVERED, DELIVERED);
        assertThat(store.rows()).isEmpty();
        assertThat(window.used()).as("held until written").isEqualTo(2);
        time.advance(Duration.ofSeconds(5));
        assertThat(store.recordCalls).isEqualTo(3);
        assertThat(store.rows()).extracting(RecipientUpdate::kind).containsOnly(RecipientUpdate.Kind.DELIVERED);
        assertThat(store.rows()).extracting(RecipientUpdate::site).containsOnly("example-site");
        assertThat(window.used()).isZero();
        assertThat(writeBackFailed).hasValue(0);
    }

    @Test
    void aPermanentFailureParksTheRecipientsAsDeferredForAnOperator() {
        store.recordFailures.add(new R2dbcDataIntegrityViolationException("value too long", "22001"));
        DeliveryJob job = claimed(1);
        record(job, DELIVERED);
        assertThat(store.recordCalls).as("not retried: parked at once").isEqualTo(2);
        RecipientUpdate parked = store.rows().get(0);
        assertThat(parked.kind()).isEqualTo(RecipientUpdate.Kind.DEFERRED);
        assertThat(parked.nextAttemptAt()).isEqualTo(FakeTime.WALL.plus(OutcomeRecorder.PARKED));
        assertThat(parked.reply()).isEqualTo("451 4.3.0 outcome not recorded (storage error 22001); the attempt"
                + " ended delivered, see the log");
        assertThat(writeBackFailed).hasValue(1);
        assertThat(window.used()).isZero();
    }

    @Test
    void theBounceNoticeIsStoredOnceWhileTheWriteBackIsRetried() {
        store.recordFailures.add(new IOException("connection reset"));
        DeliveryJob job = claimed(2);
        record(job, BOUNCED, DELIVERED);
        time.advance(Duration.ofSeconds(5));
        assertThat(store.recordCalls).isEqualTo(2);
        assertThat(notices).as("the retried write-back does not repeat the notice").hasValue(1);
        assertThat(store.rows()).extracting(RecipientUpdate::kind)
                .containsExactly(RecipientUpdate.Kind.BOUNCED, RecipientUpdate.Kind.DELIVERED);
    }

    @Test
    void aNoticeThatFailsTransientlyIsRetriedBeforeTheWriteBack() {
        noticeFailures.add(new IOException("spool away"));
        DeliveryJob job = claimed(1);
        record(job, BOUNCED);
        assertThat(store.recordCalls).as("no write-back before the notice is stored").isZero();
        time.advance(Duration.ofSeconds(5));
        assertThat(notices).hasValue(1);
        assertThat(store.rows()).hasSize(1);
    }

    @Test
    void aNoticeThatCanNeverBeStoredDoesNotHoldUpTheOutcomes() {
        noticeFailures.add(new IllegalArgumentException("malformed"));
        DeliveryJob job = claimed(1);
        record(job, BOUNCED);
        assertThat(store.rows()).extracting(RecipientUpdate::kind).containsExactly(RecipientUpdate.Kind.BOUNCED);
        assertThat(writeBackFailed).hasValue(1);
        assertThat(window.used()).isZero();
    }

    @Test
    void whileStoppingATransientFailureIsNotRetried() {
        closed = true;
        store.recordFailures.add(new IOException("connection reset"));
        DeliveryJob job = claimed(1);
        record(job, DELIVERED);
        time.advance(Duration.ofMinutes(1));
        assertThat(store.recordCalls).isEqualTo(1);
        assertThat(store.rows()).as("left in flight for releaseClaims").isEmpty();
        assertThat(window.used()).isZero();
    }

    @Test
    void routingOutcomesAndHoldsWakeTheClaimerWhenWritten() {
        DeliveryJob job = claimed(1);
        recorder.routed(job, List.of(new DeliveryOutcome.Deferred(null, SmtpReply.of(451, "4.4.3", "no MX"),
                null)));
        assertThat(store.rows().get(0).nextAttemptAt()).isEqualTo(FakeTime.WALL.plus(Duration.ofMinutes(1)));
        DeliveryJob held = claimed(2);
        recorder.hold(held, "example-site", new SiteSuspensions.Hold(FakeTime.WALL.plusSeconds(600), "ops"));
        assertThat(store.rows()).hasSize(3);
        assertThat(written).hasValue(2);
        assertThat(window.used()).isZero();
    }
}
