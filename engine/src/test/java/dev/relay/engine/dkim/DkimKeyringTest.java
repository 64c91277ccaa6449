package dev.relay.engine.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.protocol.dkim.DkimSigningKey;
import dev.relay.storage.DkimKeyRecord;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class DkimKeyringTest {
    private static final Instant T = Instant.parse("2026-12-05T00:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final KeySealer sealer = new KeySealer(new byte[32]);
    private final List<DkimKeyRecord> rows = new ArrayList<>();
    private final AtomicInteger reads = new AtomicInteger();
    private final DkimKeyring keyring = new DkimKeyring(() -> {
        reads.incrementAndGet();
        return Flux.fromIterable(List.copyOf(rows));
    }, sealer, DkimProviders.jdkOnly());

    private DkimKeyRecord row(String selector, DkimAlgorithm algorithm, Instant from, @Nullable Instant until,
            boolean sealed) throws Exception {
        KeyPair pair = DkimProviders.generate(algorithm);
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        return new DkimKeyRecord("shop.example", selector, algorithm.tag(),
                sealed ? sealer.seal(pkcs8, "shop.example", selector) : pkcs8, sealed,
                pair.getPublic().getEncoded(), from, until, null, from);
    }

    private List<String> selectors(Instant at) {
        return keyring.signing("SHOP.example", at).stream().map(DkimSigningKey::selector).toList();
    }

    @Test
    void signsWithTheNewestActiveKeyPerAlgorithmSoARotationNeedsNoRestart() throws Exception {
        rows.add(row("old-ed", DkimAlgorithm.ED25519_SHA256, T.minusSeconds(86_400), null, true));
        rows.add(row("old-rsa", DkimAlgorithm.RSA_SHA256, T.minusSeconds(86_400), T.plusSeconds(7200), false));
        rows.add(row("new-ed", DkimAlgorithm.ED25519_SHA256, T.plusSeconds(3600), null, true));
        keyring.refresh().block(WAIT);

        assertThat(keyring.signing("other.example", T)).isEmpty();
        assertThat(selectors(T.minusSeconds(86_401))).isEmpty();
        assertThat(selectors(T)).containsExactly("old-ed", "old-rsa");
        // the new selector takes over at its active_from; the retired RSA key stops at its active_until
        assertThat(selectors(T.plusSeconds(3600))).containsExactly("new-ed", "old-rsa");
        assertThat(selectors(T.plusSeconds(7200))).containsExactly("new-ed");
    }

    @Test
    void aKeyThatCannotBeOpenedIsSkippedAndUnchangedRowsAreNotOpenedAgain() throws Exception {
        DkimKeyRecord good = row("good", DkimAlgorithm.ED25519_SHA256, T, null, true);
        DkimKeyRecord foreign = new DkimKeyRecord("shop.example", "foreign", "rsa-sha256",
                new KeySealer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                        22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}).seal(new byte[] {1}, "shop.example", "foreign"),
                true, new byte[0], T, null, null, T);
        rows.add(good);
        rows.add(foreign);
        assertThat(keyring.refresh().block(WAIT)).isEqualTo(1);
        DkimSigningKey first = keyring.signing("shop.example", T).get(0);
        keyring.refresh().block(WAIT);
        assertThat(keyring.signing("shop.example", T).get(0)).as("reused, not opened again").isSameAs(first);
        assertThat(reads).hasValue(2);

        rows.clear();
        keyring.refresh().block(WAIT);
        assertThat(keyring.signing("shop.example", T)).as("a deleted or retired row is gone").isEmpty();
    }

    @Test
    void aFailedRefreshKeepsThePreviousSnapshot() throws Exception {
        rows.add(row("good", DkimAlgorithm.ED25519_SHA256, T, null, false));
        keyring.refresh().block(WAIT);
        DkimKeyring failing = new DkimKeyring(() -> Flux.error(new IllegalStateException("db down")), sealer,
                DkimProviders.jdkOnly());
        assertThat(failing.refresh().onErrorReturn(-1).block(WAIT)).isEqualTo(-1);
        assertThat(failing.signing("shop.example", T)).isEmpty();
        assertThat(keyring.signing("shop.example", T)).hasSize(1);
    }
}
