package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.delivery.DeliveryOutcome.Bounced;
import dev.relay.engine.delivery.DeliveryOutcome.ConnectionFailed;
import dev.relay.engine.delivery.DeliveryOutcome.Deferred;
import dev.relay.engine.delivery.DeliveryOutcome.Delivered;
import dev.relay.engine.routing.NextHop;
import dev.relay.protocol.SmtpReply;
import io.netty.handler.codec.DecoderException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplyClassifierTest {

    @ParameterizedTest(name = "{0} {1} -> {2} (rcpt: {3})")
    @CsvSource(nullValues = "-", value = {
        "250, 2.0.0, Delivered, Delivered",
        "251, -,     Delivered, Delivered",
        "221, 2.0.0, Delivered, Delivered",
        "354, -,     Deferred,  Deferred",
        "421, 4.3.2, Deferred,  Deferred",
        "450, 4.2.0, Deferred,  Deferred",
        "451, 4.7.1, Deferred,  Deferred",
        "452, 4.5.3, Deferred,  Deferred",
        "454, 4.7.0, Deferred,  Deferred",
        "450, -,     Deferred,  Deferred",
        "500, 5.5.2, Bounced,   Bounced",
        "550, 5.1.1, Bounced,   Bounced",
        "550, 5.7.1, Bounced,   Bounced",
        "551, -,     Bounced,   Bounced",
        "552, 5.3.4, Bounced,   Deferred",
        "552, -,     Bounced,   Deferred",
        "550, 5.5.3, Bounced,   Deferred",
        "553, 5.1.3, Bounced,   Bounced",
        "554, 5.6.3, Bounced,   Bounced",
        "554, -,     Bounced,   Bounced"})
    void replies(int code, String status, String outcome, String rcptOutcome) {
        SmtpReply reply = SmtpReply.of(code, status, "text");
        assertThat(ReplyClassifier.classify("mx", reply).getClass().getSimpleName()).isEqualTo(outcome);
        assertThat(ReplyClassifier.classifyRcpt("mx", reply).getClass().getSimpleName()).isEqualTo(rcptOutcome);
    }

    @Test
    void codeWinsOverAMismatchedStatus() {
        // a 4xx with 5.x.x text: the status is dropped when read, the reply stays transient
        SmtpReply reply = SmtpReply.fromWire(451, List.of("5.7.1 looks permanent"));
        assertThat(ReplyClassifier.classify("mx", reply)).isInstanceOf(Deferred.class);
        assertThat(ReplyClassifier.classify("mx", SmtpReply.fromWire(550, List.of("4.7.1 looks transient"))))
                .isInstanceOf(Bounced.class);
    }

    @Test
    void outcomesCarryHostAndReply() {
        SmtpReply ok = SmtpReply.of(250, "2.0.0", "queued");
        assertThat(ReplyClassifier.classify("mx.example", ok)).isEqualTo(new Delivered("mx.example", ok));
        SmtpReply later = SmtpReply.of(451, "4.4.1", "no answer from host");
        assertThat(ReplyClassifier.classify("mx.example", later)).isEqualTo(new Deferred("mx.example", later, null));
    }

    @Test
    void deferralsCarryWhatTheReplySaysAboutComingBack() {
        SmtpReply stated = SmtpReply.fromWire(451, List.of("4.7.1 Greylisted, see https://grey.example/",
                "4.7.1 try again in 300 seconds"));
        assertThat(ReplyClassifier.classify("mx", stated))
                .isEqualTo(new Deferred("mx", stated, java.time.Duration.ofSeconds(300), true));
        SmtpReply unstated = SmtpReply.of(450, "4.2.0", "Greylisted, see http://postgrey.schweikert.ch/help/x.html");
        assertThat(ReplyClassifier.classifyRcpt("mx", unstated)).isEqualTo(new Deferred("mx", unstated, null, true));
        SmtpReply busy = SmtpReply.of(451, "4.7.500", "Server busy. Please try again later from [203.0.113.9]");
        assertThat(ReplyClassifier.classify("mx", busy)).isEqualTo(new Deferred("mx", busy, null, false));
        SmtpReply tooMany = SmtpReply.of(552, "5.5.3", "too many recipients, try again in 60 seconds");
        assertThat(ReplyClassifier.classifyRcpt("mx", tooMany)).as("a 5xx read as transient states nothing")
                .isEqualTo(new Deferred("mx", tooMany, null, false));
    }

    @Test
    void localReasons() {
        assertThat(ReplyClassifier.local("mx", ReplyClassifier.TLS_NOT_OFFERED)).isInstanceOfSatisfying(Deferred.class,
                d -> assertThat(d.reply().status()).hasToString("4.7.4"));
        assertThat(ReplyClassifier.local("mx", ReplyClassifier.TLS_FAILED)).isInstanceOfSatisfying(Deferred.class,
                d -> assertThat(d.reply().status()).hasToString("4.7.5"));
        assertThat(ReplyClassifier.local("mx", ReplyClassifier.SMTPUTF8_NOT_OFFERED)).isInstanceOfSatisfying(
                Bounced.class, b -> assertThat(b.reply().toString()).startsWith("550 5.6.7"));
        assertThat(ReplyClassifier.local("mx", ReplyClassifier.EIGHTBITMIME_NOT_OFFERED)).isInstanceOfSatisfying(
                Bounced.class, b -> assertThat(b.reply().toString()).startsWith("554 5.6.3"));
        assertThat(ReplyClassifier.tooBig("mx", 2000, 1000).reply().toString()).startsWith("552 5.3.4");
        assertThat(ReplyClassifier.local(null, ReplyClassifier.POOL_FULL)).isInstanceOf(Deferred.class);
        assertThat(ReplyClassifier.local(null, ReplyClassifier.CLIENT_CLOSED)).isInstanceOf(Deferred.class);
    }

    @Test
    void failures() {
        assertThat(ReplyClassifier.failure("mx", new ConnectException("Connection refused")))
                .isEqualTo(new ConnectionFailed("mx", "connection refused: Connection refused"));
        assertThat(ReplyClassifier.failure("mx", new TimeoutException("x")).cause()).startsWith("timeout");
        assertThat(ReplyClassifier.failure("mx", new DecoderException(new SSLHandshakeException("bad cert"))).cause())
                .isEqualTo("TLS: bad cert");
        assertThat(ReplyClassifier.failure("mx", new ClosedChannelException()).cause()).isEqualTo("connection closed");
        assertThat(ReplyClassifier.failure(null, ConversationException.noReply("DATA", Duration.ofMinutes(3))))
                .isEqualTo(new ConnectionFailed(null, "no reply to DATA within PT3M"));
        assertThat(ReplyClassifier.failure("mx", new IllegalStateException()).cause()).isEqualTo("IllegalStateException");
    }

    @Test
    void allHopsFailedPrefersAnSmtpAnswer() {
        DeliveryOutcome refused = new ConnectionFailed("mx1", "connection refused");
        DeliveryOutcome busy = new Deferred("mx2", SmtpReply.of(421, "4.3.2", "busy"), null);
        assertThat(PooledDeliveryClient.summarise(List.of(refused, busy))).isEqualTo(busy);
        assertThat(PooledDeliveryClient.summarise(List.of(refused, new ConnectionFailed("mx2", "timeout"))))
                .isEqualTo(new ConnectionFailed("mx1", "mx1: connection refused; mx2: timeout"));
    }

    @Test
    void hopPolicyWinsOverTheSiteWhenExplicit() {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", 25);
        SiteLimits required = new SiteLimits(1, 1, 1, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1), TlsMode.REQUIRED);
        assertThat(PooledDeliveryClient.tlsMode(new NextHop("mx", address, TlsMode.OPPORTUNISTIC, false), required))
                .isEqualTo(TlsMode.REQUIRED);
        assertThat(PooledDeliveryClient.tlsMode(new NextHop("mx", address, TlsMode.DISABLED, false), required))
                .isEqualTo(TlsMode.DISABLED);
        assertThat(PooledDeliveryClient.tlsMode(new NextHop("mx", address, TlsMode.REQUIRED, false),
                SiteLimits.defaults())).isEqualTo(TlsMode.REQUIRED);
    }
}
