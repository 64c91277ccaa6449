package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.intake.BounceAddresses;
import dev.relay.engine.intake.IntakeMetrics;
import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.outcomes.VerpKey;
import dev.relay.engine.outcomes.VerpSettings;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.Verb;
import dev.relay.storage.MessageId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RCPT to the bounce domain, without a socket: open to a client with no relay rights and no AUTH (bounces come from
 * anywhere), only with a token that verifies (else 550 5.1.1, counted by why), and never in one transaction with
 * ordinary recipients (452 4.5.3, the client sends them apart).
 */
class SessionIntakeTest {
    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");
    private static final String DOMAIN = "bounces.relay.test";
    private final SmtpConfig settings = new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "relay.test", 1024, 3, 10,
            Duration.ofMinutes(5), Duration.ofMinutes(10), 3, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT,
            Duration.ofSeconds(30), List.of(), List.of(), null, new AuthConfig(null, true));
    private final VerpCodec codec = new VerpCodec(new VerpSettings(List.of(new VerpKey(1,
            "a-secret-of-enough-bytes".getBytes(StandardCharsets.US_ASCII))), 1, "b+", DOMAIN, Duration.ofDays(30)),
            Clock.fixed(NOW, ZoneOffset.UTC));
    private final IntakeMetrics metrics = new IntakeMetrics(new SimpleMeterRegistry());
    /** System "shop" sends as b.test (connected systems check the sender of an authenticated session). */
    private final SessionCommands commands = new SessionCommands(settings, new RelayPolicy(List.of()), () -> true,
            true, SuppressionCheck.NONE, () -> new dev.relay.engine.identity.Identities(
                    new dev.relay.storage.SystemRecords.Snapshot(List.of(), List.of(), List.of(
                            new dev.relay.storage.SystemRecords.SendingDomain("b.test", "shop", false, null)))),
            new BounceAddresses(codec, metrics));
    private SessionState state;

    @BeforeEach
    void outsider() throws Exception {
        state = new SessionState("t", InetAddress.getByName("192.0.2.7"));
        assertThat(reply("EHLO mx.example.test").code()).isEqualTo(250);
        assertThat(reply("MAIL FROM:<>").code()).isEqualTo(250);
    }

    private SmtpReply reply(String line) {
        int space = line.indexOf(' ');
        Verb verb = Verb.valueOf((space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT));
        Step step = commands.handle(state, new SmtpCommand(verb, space < 0 ? "" : line.substring(space + 1), line));
        if (step instanceof Step.Reply r) {
            return r.reply();
        }
        if (step instanceof Step.Refuse r) {
            return r.reply();
        }
        throw new AssertionError("unexpected step " + step);
    }

    private String address(int recipient) {
        return codec.address(new MessageId(new UUID(7, 9)), recipient).toString();
    }

    @Test
    void aVerifiedBounceAddressIsAcceptedWithoutRelayRights() {
        assertThat(reply("RCPT TO:<" + address(0) + ">").code()).isEqualTo(250);
        String upper = address(1).toUpperCase(Locale.ROOT).replace("B+", "b+");
        assertThat(reply("RCPT TO:<" + upper + ">").code()).as("an MTA that changed the case").isEqualTo(250);
        Transaction t = state.transaction;
        assertThat(t).isNotNull();
        assertThat(t.isIntake()).isTrue();
        assertThat(t.bounceTokens()).extracting(v -> v.recipientIndex()).containsExactly(0, 1);
        // and an ordinary recipient from the same outsider is still refused as relaying
        state.resetTransaction();
        reply("MAIL FROM:<a@b.test>");
        assertThat(reply("RCPT TO:<c@d.test>").code()).isEqualTo(554);
    }

    @Test
    void aForgedAlteredExpiredOrForeignAddressIsRefusedAndCounted() {
        String good = address(0);
        int at = good.indexOf('@');
        String altered = good.substring(0, at - 2) + (good.charAt(at - 2) == 'a' ? 'b' : 'a') + good.substring(at - 1);
        SmtpReply forged = reply("RCPT TO:<" + altered + ">");
        assertThat(forged.code()).isEqualTo(550);
        assertThat(forged.status()).hasToString("5.1.1");
        VerpCodec otherKey = new VerpCodec(new VerpSettings(List.of(new VerpKey(1,
                "another-secret-entirely".getBytes(StandardCharsets.US_ASCII))), 1, "b+", DOMAIN,
                Duration.ofDays(30)), Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(reply("RCPT TO:<" + otherKey.address(new MessageId(new UUID(1, 2)), 0) + ">").code())
                .isEqualTo(550);
        String old = "b+" + codec.encode(new MessageId(new UUID(7, 9)), 0, NOW.minus(Duration.ofDays(31))) + "@"
                + DOMAIN;
        assertThat(reply("RCPT TO:<" + old + ">").code()).isEqualTo(550);
        assertThat(reply("RCPT TO:<postmaster@" + DOMAIN + ">").code()).isEqualTo(550);
        assertThat(metrics.count("refused_forged")).isEqualTo(2);
        assertThat(metrics.count("refused_expired")).isEqualTo(1);
        assertThat(metrics.count("refused_malformed")).isEqualTo(1);
        assertThat(state.transaction == null || !state.transaction.hasRecipients()).isTrue();
    }

    @Test
    void bounceAddressesAndOrdinaryRecipientsGoInSeparateTransactions() {
        state.user = "shop";
        assertThat(reply("RCPT TO:<" + address(0) + ">").code()).isEqualTo(250);
        SmtpReply mixed = reply("RCPT TO:<c@d.test>");
        assertThat(mixed.code()).isEqualTo(452);
        assertThat(mixed.status()).hasToString("4.5.3");
        state.resetTransaction();
        reply("MAIL FROM:<a@b.test>");
        assertThat(reply("RCPT TO:<c@d.test>").code()).isEqualTo(250);
        assertThat(reply("RCPT TO:<" + address(0) + ">").code()).isEqualTo(452);
        assertThat(state.transaction.isIntake()).isFalse();
    }

    @Test
    void withoutVerpTheBounceDomainIsAnOrdinaryDomain() {
        SessionCommands plain = new SessionCommands(settings, new RelayPolicy(List.of()), true, true);
        Step step = plain.handle(state, new SmtpCommand(Verb.RCPT, "TO:<" + address(0) + ">", "RCPT"));
        assertThat(step).isInstanceOf(Step.Refuse.class);
        assertThat(((Step.Refuse) step).reply().code()).isEqualTo(554);
    }
}
