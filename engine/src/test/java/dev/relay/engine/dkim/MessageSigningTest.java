package dev.relay.engine.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.DkimConfig;
import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.storage.DkimKeyRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class MessageSigningTest {
    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

    private DkimKeyring keyring;

    @BeforeEach
    void keys() throws Exception {
        KeyPair pair = DkimProviders.generate(DkimAlgorithm.ED25519_SHA256);
        DkimKeyRecord row = new DkimKeyRecord("shop.example", "s1", "ed25519-sha256",
                pair.getPrivate().getEncoded(), false, pair.getPublic().getEncoded(), NOW.minusSeconds(60), null,
                null, NOW);
        keyring = new DkimKeyring(() -> Flux.just(row), null, DkimProviders.jdkOnly());
        keyring.refresh().block(Duration.ofSeconds(30));
    }

    private static ByteBuf message(String from) {
        return Unpooled.copiedBuffer("From: " + from + "\r\nSubject: x\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
    }

    @Test
    void signsForTheFromDomain() throws Exception {
        var outcome = new MessageSigning(keyring, DkimConfig.MissingKey.REFUSE, MessageSigning.FallbackDomain.NONE)
                .sign(message("\"Shop, Inc.\" <orders@Shop.Example>"), "shop", NOW);
        assertThat(outcome).isInstanceOf(MessageSigning.Signed.class);
        MessageSigning.Signed signed = (MessageSigning.Signed) outcome;
        assertThat(signed.domain()).isEqualTo("shop.example");
        assertThat(signed.selectors()).containsExactly("s1");
        assertThat(new String(signed.fields(), StandardCharsets.US_ASCII)).startsWith("DKIM-Signature: v=1;")
                .contains("d=shop.example;").endsWith("\r\n");
    }

    @Test
    void refusesAnAuthenticatedSubmissionWithoutAKeyNamingTheDomain() throws Exception {
        MessageSigning refuse = new MessageSigning(keyring, DkimConfig.MissingKey.REFUSE,
                MessageSigning.FallbackDomain.NONE);
        var outcome = refuse.sign(message("a@other.example"), "shop", NOW);
        assertThat(outcome).isInstanceOf(MessageSigning.Refused.class);
        assertThat(((MessageSigning.Refused) outcome).reply().toString()).contains("550").contains("5.7.1")
                .contains("other.example");
        // relayed without AUTH: sent unsigned whatever the policy
        assertThat(refuse.sign(message("a@other.example"), null, NOW)).isInstanceOf(MessageSigning.Unsigned.class);
        assertThat(new MessageSigning(keyring, DkimConfig.MissingKey.SEND_UNSIGNED, MessageSigning.FallbackDomain.NONE)
                .sign(message("a@other.example"), "shop", NOW)).isInstanceOf(MessageSigning.Unsigned.class);
        assertThat(refuse.sign(message("no address"), "shop", NOW)).isInstanceOf(MessageSigning.Refused.class);
    }

    @Test
    void theFallbackHookSignsAsTheSystemsDomain() throws Exception {
        var outcome = new MessageSigning(keyring, DkimConfig.MissingKey.REFUSE,
                user -> user.equals("shop") ? "shop.example" : null).sign(message("a@other.example"), "shop", NOW);
        assertThat(outcome).isInstanceOf(MessageSigning.Signed.class);
        assertThat(((MessageSigning.Signed) outcome).domain()).isEqualTo("shop.example");
    }

    @Test
    void fromDomainIsBoundedAndChecked() {
        assertThat(MessageSigning.fromDomain("Ann <ann@Example.ORG.>")).isEqualTo("example.org");
        assertThat(MessageSigning.fromDomain("a@one.example, b@two.example")).isEqualTo("one.example");
        assertThat(MessageSigning.fromDomain("a@exa mple.org")).isNull();
        assertThat(MessageSigning.fromDomain("a@" + "x".repeat(300) + ".org")).isNull();
        assertThat(MessageSigning.fromDomain("a@bad\u0000.org")).isNull();
        assertThat(MessageSigning.fromDomain(null)).isNull();
        assertThat(MessageSigning.fromDomain("undisclosed")).isNull();
    }

    @Test
    void offSignsNothing() throws Exception {
        assertThat(MessageSigning.OFF.mayAct(null)).isFalse();
        assertThat(MessageSigning.OFF.mayAct("shop")).isFalse();
        assertThat(MessageSigning.OFF.sign(message("a@shop.example"), "shop", NOW))
                .isInstanceOf(MessageSigning.Unsigned.class);
    }
}
