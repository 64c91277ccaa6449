package dev.relay.engine.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BounceStatusTest {
    @Test
    void aRemoteBounceKeepsTheReplysStatusAndText() {
        BounceStatus status = BounceStatus.of(new DeliveryOutcome.Bounced("mx1.example.net",
                SmtpReply.of(550, "5.1.1", "<bob@example.net>: Recipient address rejected", "User unknown")));
        assertThat(status.status()).isEqualTo(new EnhancedStatus(5, 1, 1));
        assertThat(status.remoteHost()).isEqualTo("mx1.example.net");
        assertThat(status.diagnostic()).isEqualTo(new Diagnostic.RemoteReply(
                "550 5.1.1 <bob@example.net>: Recipient address rejected User unknown"));
        assertThat(status.expired()).isFalse();
    }

    @Test
    void withoutAnEnhancedStatusTheCodeClassDecides() {
        assertThat(BounceStatus.of(new DeliveryOutcome.Bounced("mx", SmtpReply.of(554, null, "no"))).status())
                .isEqualTo(new EnhancedStatus(5, 0, 0));
        assertThat(BounceStatus.of(new DeliveryOutcome.Bounced("mx", SmtpReply.of(452, null, "full"))).status())
                .isEqualTo(new EnhancedStatus(4, 0, 0));
        assertThat(BounceStatus.of(new DeliveryOutcome.Bounced("mx", SmtpReply.of(250, "2.0.0", "odd"))).status())
                .as("a positive reply treated as a failure is still a permanent failure")
                .isEqualTo(new EnhancedStatus(5, 0, 0));
    }

    @Test
    void aBounceWithoutAHostIsOurOwnReason() {
        BounceStatus status = BounceStatus.of(new DeliveryOutcome.Bounced(null,
                SmtpReply.of(556, "5.1.10", "example.org accepts no mail (null MX)")));
        assertThat(status.remoteHost()).isNull();
        assertThat(status.diagnostic())
                .isEqualTo(new Diagnostic.LocalReason("556 5.1.10 example.org accepts no mail (null MX)"));
    }

    @Test
    void expiryAfterADeferralReports447WithTheLastReply() {
        BounceStatus status = BounceStatus.expired(new DeliveryOutcome.Deferred("mx2.example.net",
                SmtpReply.of(451, "4.7.1", "Greylisted, try again in 300 seconds"), Duration.ofMinutes(5)));
        assertThat(status.status()).isEqualTo(BounceStatus.EXPIRED).hasToString("4.4.7");
        assertThat(status.remoteHost()).isEqualTo("mx2.example.net");
        assertThat(status.diagnostic())
                .isEqualTo(new Diagnostic.RemoteReply("451 4.7.1 Greylisted, try again in 300 seconds"));
        assertThat(status.expired()).isTrue();
    }

    @Test
    void expiryAfterAConnectionFailureOrNoAttemptIsLocal() {
        BounceStatus refused = BounceStatus.expired(
                new DeliveryOutcome.ConnectionFailed("mx3.example.net", "connection refused"));
        assertThat(refused.remoteHost()).isEqualTo("mx3.example.net");
        assertThat(refused.diagnostic()).isEqualTo(new Diagnostic.LocalReason("connection refused"));
        assertThat(refused.status()).isEqualTo(BounceStatus.EXPIRED);

        BounceStatus never = BounceStatus.expired(null);
        assertThat(never.remoteHost()).isNull();
        assertThat(never.diagnostic()).isInstanceOf(Diagnostic.LocalReason.class);
        assertThat(never.expired()).isTrue();
    }

    @Test
    void onlyDeferralsExpire() {
        assertThatThrownBy(() -> BounceStatus.expired(
                new DeliveryOutcome.Delivered("mx", SmtpReply.of(250, "2.0.0", "ok"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BounceStatus.expired(
                new DeliveryOutcome.Bounced("mx", SmtpReply.of(550, "5.0.0", "no"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSuccessStatusIsNoFailure() {
        assertThatThrownBy(() -> new BounceStatus(new EnhancedStatus(2, 0, 0), null,
                new Diagnostic.LocalReason("x"), false)).isInstanceOf(IllegalArgumentException.class);
    }
}
