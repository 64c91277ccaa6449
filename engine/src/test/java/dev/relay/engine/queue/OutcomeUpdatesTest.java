package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.RetryConfig;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.RecipientUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Outcomes into rows and DSN failures: final, retried on the schedule, or expired. */
class OutcomeUpdatesTest {
    private static final Instant RECEIVED = Instant.parse("2030-01-01T00:00:00Z");
    private static final RetryConfig CONFIG = new RetryConfig(
            List.of(Duration.ofMinutes(1), Duration.ofMinutes(10)), 0.2, Duration.ofDays(2));
    private final OutcomeUpdates updates = new OutcomeUpdates(new RetrySchedule(CONFIG, () -> 0));
    private final Instant now = RECEIVED.plusSeconds(30);

    private static final DeliveryOutcome DELIVERED = new DeliveryOutcome.Delivered("mx.example",
            SmtpReply.of(250, "2.0.0", "ok"));
    private static final DeliveryOutcome BOUNCED = new DeliveryOutcome.Bounced("mx.example",
            SmtpReply.of(550, "5.1.1", "no such user"));
    private static final DeliveryOutcome DEFERRED = new DeliveryOutcome.Deferred("mx.example",
            SmtpReply.of(451, "4.3.0", "try later"), null);
    private static final DeliveryOutcome REFUSED = new DeliveryOutcome.ConnectionFailed("mx.example",
            "connection refused");

    @Test
    void deliveredAndBouncedAreFinalAndOnlyTheBounceIsReported() {
        DeliveryJob job = Jobs.job("example.com", 2, RECEIVED);
        OutcomeUpdates.Batch batch = updates.of(job, List.of(DELIVERED, BOUNCED), now);
        assertThat(batch.updates()).extracting(RecipientUpdate::kind)
                .containsExactly(RecipientUpdate.Kind.DELIVERED, RecipientUpdate.Kind.BOUNCED);
        assertThat(batch.updates()).extracting(RecipientUpdate::nextAttemptAt).containsOnlyNulls();
        assertThat(batch.updates().get(1).reply()).isEqualTo("550 5.1.1 no such user");
        assertThat(batch.failures()).hasSize(1);
        assertThat(batch.failures().get(0).address()).isEqualTo("u1@example.com");
        assertThat(batch.expired()).isZero();
    }

    @Test
    void deferralsAndConnectionFailuresAreRetriedOnTheScheduleOrTheSitesOwn() {
        DeliveryJob job = Jobs.job("example.com", 2, RECEIVED);
        OutcomeUpdates.Batch global = updates.of(job, List.of(DEFERRED, REFUSED), now);
        assertThat(global.updates()).extracting(RecipientUpdate::kind)
                .containsOnly(RecipientUpdate.Kind.DEFERRED);
        assertThat(global.updates()).extracting(RecipientUpdate::nextAttemptAt)
                .containsOnly(now.plus(Duration.ofMinutes(1)));
        assertThat(global.updates().get(1).reply()).isEqualTo("connection failed: connection refused");
        assertThat(global.failures()).isEmpty();

        OutcomeUpdates.Batch site = updates.of(job, List.of(DEFERRED, DEFERRED), now, List.of(Duration.ofMinutes(7)));
        assertThat(site.updates()).extracting(RecipientUpdate::nextAttemptAt)
                .containsOnly(now.plus(Duration.ofMinutes(7)));
    }

    @Test
    void aRemoteRetryAfterIsHonoured() {
        DeliveryJob job = Jobs.job("example.com", 1, RECEIVED);
        DeliveryOutcome greylisted = new DeliveryOutcome.Deferred("mx.example",
                SmtpReply.of(451, "4.7.1", "greylisted, try again in 300 seconds"), Duration.ofSeconds(300), true);
        Instant next = updates.of(job, List.of(greylisted), now).updates().get(0).nextAttemptAt();
        assertThat(next).isAfterOrEqualTo(now.plusSeconds(300));
    }

    @Test
    void pastTheLifetimeAFailureExpiresAndIsReported() {
        DeliveryJob job = Jobs.job("example.com", 3, RECEIVED);
        Instant late = RECEIVED.plus(Duration.ofDays(2));
        OutcomeUpdates.Batch batch = updates.of(job, List.of(DEFERRED, REFUSED, DELIVERED), late);
        assertThat(batch.updates()).extracting(RecipientUpdate::kind).containsExactly(RecipientUpdate.Kind.EXPIRED,
                RecipientUpdate.Kind.EXPIRED, RecipientUpdate.Kind.DELIVERED);
        assertThat(batch.expired()).isEqualTo(2);
        assertThat(batch.failures()).hasSize(2);
        assertThat(batch.failures()).allSatisfy(f -> assertThat(f.why().expired()).isTrue());
    }

    @Test
    void oneOutcomePerRecipient() {
        DeliveryJob job = Jobs.job("example.com", 2, RECEIVED);
        assertThatThrownBy(() -> updates.of(job, List.of(DELIVERED), now))
                .hasMessage("1 outcomes for 2 recipients");
    }
}
