package dev.relay.engine.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.DkimConfig;
import dev.relay.engine.identity.Identities;
import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.storage.DkimKeyRecord;
import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class SystemDomainFallbackTest {
    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

    private DkimKeyring keyring;
    private final AtomicReference<Identities> identities = new AtomicReference<>(Identities.EMPTY);

    @BeforeEach
    void keys() throws Exception {
        KeyPair pair = DkimProviders.generate(DkimAlgorithm.ED25519_SHA256);
        DkimKeyRecord row = new DkimKeyRecord("keyed.example", "s1", "ed25519-sha256",
                pair.getPrivate().getEncoded(), false, pair.getPublic().getEncoded(), NOW.minusSeconds(60), null,
                null, NOW);
        keyring = new DkimKeyring(() -> Flux.just(row), null, DkimProviders.jdkOnly());
        keyring.refresh().block(Duration.ofSeconds(30));
    }

    /** System shop with domains (in the order added) unkeyed.example, keyed.example, other.example. */
    private static Identities shop(boolean signAsSystemDomain) {
        return new Identities(new Snapshot(List.of(new SystemInfo("shop", true, Priority.TRANSACTIONAL, null,
                signAsSystemDomain, NOW, NOW)), List.of(), List.of(
                new SendingDomain("unkeyed.example", "shop", false, null),
                new SendingDomain("keyed.example", "shop", false, null),
                new SendingDomain("other.example", "shop", false, null))));
    }

    private SystemDomainFallback fallback() {
        return new SystemDomainFallback(identities::get, keyring, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void theFirstDomainWithAnActiveKeyOfASystemThatSaysSo() {
        identities.set(shop(true));
        assertThat(identities.get().signAsDomains("shop")).containsExactly("unkeyed.example", "keyed.example",
                "other.example");
        assertThat(fallback().domainFor("shop")).isEqualTo("keyed.example");
        assertThat(fallback().domainFor("nobody")).isNull();
    }

    @Test
    void noneForASystemThatDoesNotSayItOrWhoseDomainsHaveNoKey() {
        identities.set(shop(false));
        assertThat(identities.get().signAsDomains("shop")).isEmpty();
        assertThat(fallback().domainFor("shop")).isNull();
        identities.set(new Identities(new Snapshot(List.of(new SystemInfo("shop", true, Priority.TRANSACTIONAL,
                null, true, NOW, NOW)), List.of(), List.of(new SendingDomain("unkeyed.example", "shop", false,
                null)))));
        assertThat(fallback().domainFor("shop")).isNull();
    }

    @Test
    void aMessageFromAnUnkeyedDomainIsSignedAsTheSystemsDomainOnlyWhenTheSystemSaysSo() throws Exception {
        MessageSigning signing = new MessageSigning(keyring, DkimConfig.MissingKey.REFUSE, fallback());
        identities.set(shop(false));
        assertThat(signing.sign(message(), "shop", NOW)).isInstanceOf(MessageSigning.Refused.class);
        identities.set(shop(true));
        MessageSigning.Outcome outcome = signing.sign(message(), "shop", NOW);
        assertThat(outcome).isInstanceOf(MessageSigning.Signed.class);
        MessageSigning.Signed signed = (MessageSigning.Signed) outcome;
        assertThat(signed.domain()).isEqualTo("keyed.example");
        assertThat(new String(signed.fields(), StandardCharsets.US_ASCII)).contains("d=keyed.example;");
        // relayed without AUTH: no system, no fallback
        assertThat(signing.sign(message(), null, NOW)).isInstanceOf(MessageSigning.Unsigned.class);
    }

    private static io.netty.buffer.ByteBuf message() {
        return Unpooled.copiedBuffer("From: a@other.example\r\nSubject: x\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
    }
}
