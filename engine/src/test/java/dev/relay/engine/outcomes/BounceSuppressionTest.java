package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Which recorded outcomes feed the suppression list, in which scope, with the shipped classification rules. */
class BounceSuppressionTest {
    private final List<String> written = new ArrayList<>();
    private final BounceSuppression suppression;

    BounceSuppressionTest() {
        ReloadingBounceRules rules = new ReloadingBounceRules(null, Duration.ofMinutes(1));
        suppression = new BounceSuppression(rules, new BounceSuppression.SuppressionList() {
            @Override
            public Mono<Void> hardBounce(String scope, String address, String category, String detail) {
                return Mono.fromRunnable(() -> written.add("hard " + scope + " " + address + " " + category));
            }

            @Override
            public Mono<Void> softBounce(String scope, String address, String category, String detail) {
                return Mono.fromRunnable(() -> written.add("soft " + scope + " " + address + " " + category));
            }
        });
    }

    private void record(@Nullable String account, DeliveryOutcome... outcomes) {
        List<ClaimedRecipient> recipients = new ArrayList<>();
        for (int i = 0; i < outcomes.length; i++) {
            recipients.add(new ClaimedRecipient(i, "r" + i + "@example.test", "example.test", 0));
        }
        ClaimedMessage m = new ClaimedMessage(MessageId.newId(), "s@shop.test", Priority.TRANSACTIONAL,
                Instant.EPOCH, 10, false, false, recipients, account);
        suppression.recorded(m, recipients, List.of(outcomes)).block(Duration.ofSeconds(5));
    }

    private static DeliveryOutcome bounced(int code, String status, String text) {
        return new DeliveryOutcome.Bounced("mx.example.test", SmtpReply.of(code, status, text));
    }

    private static DeliveryOutcome deferred(@Nullable String host, int code, String status, String text) {
        return new DeliveryOutcome.Deferred(host, SmtpReply.of(code, status, text), null, false);
    }

    @Test
    void aDeadAddressIsSuppressedInTheSendersScopeOrGloballyWithoutAuth() {
        record("shop", bounced(550, "5.1.1", "The email account that you tried to reach does not exist."));
        record(null, bounced(550, "5.1.2", "Host or domain name not found"));
        assertThat(written).containsExactly("hard shop r0@example.test unknown_user",
                "hard * r0@example.test unknown_domain");
    }

    @Test
    void bouncesAboutUsOrTheMessageSuppressNothing() {
        record("shop", bounced(550, "5.7.1", "Message rejected as spam"),
                bounced(554, "5.7.1", "Service unavailable; client host blocked using zen.spamhaus.org"),
                bounced(552, "5.3.4", "Message size exceeds fixed limit"),
                new DeliveryOutcome.ConnectionFailed(null, "connection refused"),
                new DeliveryOutcome.Delivered("mx.example.test", SmtpReply.of(250, "2.0.0", "ok")));
        assertThat(written).isEmpty();
    }

    @Test
    void aFullMailboxCountsAsASoftBounceGreylistingThrottlingAndOurOwnDeferralsDoNot() {
        record("shop", deferred("mx.example.test", 452, "4.2.2", "Mailbox full"),
                deferred("mx.example.test", 451, "4.7.1", "Greylisted, please try again later"),
                deferred("mx.example.test", 421, "4.7.0", "Too many connections"),
                deferred(null, 451, "4.4.3", "no MX answer"));
        assertThat(written).containsExactly("soft shop r0@example.test mailbox_full");
    }
}
