package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.ReplyClassifier;
import dev.relay.protocol.SmtpReply;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * The failures the engine makes up itself (synthetic replies for local refusals, routing results as the scheduler
 * turns them into replies, connection failures as {@link ReplyClassifier#describe} words them) classify like the
 * remote replies they stand for, taken from the engine's own constants and methods, not copied.
 */
class EngineFailuresTest {
    private static final BounceRules RULES = BounceRules.shipped();

    private static void is(SmtpReply reply, Category category, BounceClass bounceClass) {
        Classification c = RULES.classify(reply);
        assertThat(c.category()).as("%s (rule %s)", reply, c.rule()).isEqualTo(category);
        assertThat(c.bounceClass()).as("%s (rule %s)", reply, c.rule()).isEqualTo(bounceClass);
    }

    private static void isNetwork(Throwable error) {
        Classification c = RULES.classify(0, null, ReplyClassifier.describe(error));
        assertThat(c.category()).as("%s (rule %s)", ReplyClassifier.describe(error), c.rule())
                .isEqualTo(Category.NETWORK);
        assertThat(c.bounceClass()).isEqualTo(BounceClass.SOFT);
    }

    @Test
    void localRefusals() {
        is(ReplyClassifier.TLS_NOT_OFFERED, Category.NETWORK, BounceClass.SOFT);
        is(ReplyClassifier.TLS_FAILED, Category.NETWORK, BounceClass.SOFT);
        is(ReplyClassifier.POOL_FULL, Category.RATE_LIMITED, BounceClass.SOFT);
        is(ReplyClassifier.CLIENT_CLOSED, Category.OTHER, BounceClass.SOFT);
        is(ReplyClassifier.SMTPUTF8_NOT_OFFERED, Category.OTHER, BounceClass.HARD);
        is(ReplyClassifier.EIGHTBITMIME_NOT_OFFERED, Category.OTHER, BounceClass.HARD);
        is(ReplyClassifier.tooBig("mx.example.com", 40_000_000, 10_485_760).reply(), Category.MESSAGE_TOO_LARGE,
                BounceClass.SOFT);
    }

    @Test
    void routingResultsAsTheSchedulerWordsThem() {
        // DeliveryScheduler: Undeliverable -> 550 with its status and reason; Unresolvable -> 451 4.4.3 with its reason
        is(SmtpReply.of(550, "5.1.2", "example.invalid: no such domain (NXDOMAIN)"), Category.UNKNOWN_DOMAIN,
                BounceClass.HARD);
        is(SmtpReply.of(550, "5.1.2", "invalid domain exa_mple"), Category.UNKNOWN_DOMAIN, BounceClass.HARD);
        is(SmtpReply.of(550, "5.1.10", "example.com accepts no mail (null MX, RFC 7505)"), Category.UNKNOWN_DOMAIN,
                BounceClass.HARD);
        is(SmtpReply.of(550, "5.4.4", "example.com has neither MX nor address records"), Category.UNKNOWN_DOMAIN,
                BounceClass.HARD);
        is(SmtpReply.of(451, "4.4.3", "MX lookup failed: timeout"), Category.NETWORK, BounceClass.SOFT);
        is(SmtpReply.of(451, "4.4.3", "no MX host of example.com has an address: mx1.example.com"), Category.NETWORK,
                BounceClass.SOFT);
        is(SmtpReply.of(451, "4.4.3", "routing failed"), Category.NETWORK, BounceClass.SOFT);
    }

    @Test
    void connectionFailures() {
        isNetwork(new ConnectException("Connection refused: mx.example.com/192.0.2.1:25"));
        isNetwork(new TimeoutException("no reply within 300000ms"));
        isNetwork(new ConnectTimeoutException("connection timed out: mx.example.com/192.0.2.1:25"));
        isNetwork(new SSLHandshakeException("Received fatal alert: handshake_failure"));
        isNetwork(new ClosedChannelException());
    }

    @Test
    void expiry() {
        assertThat(BounceClassifier.expired().category()).isEqualTo(Category.EXPIRED);
        assertThat(BounceClassifier.expired().bounceClass()).isEqualTo(BounceClass.SOFT);
    }
}
