package dev.relay.protocol.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The initialised {@code Signature} objects a key keeps between messages. */
class DkimSigningKeyTest {

    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

    private static byte[] message(int n) {
        return ("From: <a@shop.example>\r\nTo: <b@example.org>\r\nSubject: order " + n + "\r\n\r\nbody " + n + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] sign(DkimSigningKey key, int n) throws Exception {
        return DkimSigner.sign(Unpooled.wrappedBuffer(message(n)), List.of(key), NOW, null);
    }

    @Test
    void theKeyIsInitialisedOnceForMessageAfterMessage() throws Exception {
        PrivateKey ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
        CountingProvider counting = new CountingProvider();
        DkimSigningKey key = new DkimSigningKey("shop.example", "s1", DkimAlgorithm.ED25519_SHA256, ed, counting);
        DkimSigningKey fresh = new DkimSigningKey("shop.example", "s1", DkimAlgorithm.ED25519_SHA256, ed,
                java.security.Security.getProvider("SunEC"));
        for (int n = 0; n < 3; n++) {
            // Ed25519 is deterministic: a reused Signature must give exactly what a new one gives
            assertThat(sign(key, n)).isEqualTo(sign(fresh, n));
        }
        assertThat(counting.initSigns).hasValue(1);
    }

    @Test
    void threadsSigningWithOneKeyAtOnceEachGetTheirOwnSignature() throws Exception {
        var generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        PrivateKey rsa = generator.generateKeyPair().getPrivate();
        Provider jdk = java.security.Security.getProvider("SunRsaSign");
        DkimSigningKey shared = new DkimSigningKey("shop.example", "s1", DkimAlgorithm.RSA_SHA256, rsa, jdk);
        List<byte[]> expected = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            // RSASSA-PKCS1-v1_5 is deterministic too
            expected.add(sign(new DkimSigningKey("shop.example", "s1", DkimAlgorithm.RSA_SHA256, rsa, jdk), n));
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(threads.submit(() -> {
                    for (int round = 0; round < 10; round++) {
                        for (int n = 0; n < expected.size(); n++) {
                            if (!java.util.Arrays.equals(sign(shared, n), expected.get(n))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(shared.idle()).isBetween(1, DkimSigningKey.POOLED);
    }

    /** Ed25519 of the JDK, counting {@code initSign} calls. */
    private static final class CountingProvider extends Provider {
        final AtomicInteger initSigns = new AtomicInteger();

        CountingProvider() {
            super("Counting", "1", "counts initSign");
            putService(new Service(this, "Signature", "Ed25519", CountingSignature.class.getName(), null, null) {
                @Override
                public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
                    return new CountingSignature(initSigns);
                }
            });
        }
    }

    private static final class CountingSignature extends SignatureSpi {
        private final Signature delegate;
        private final AtomicInteger initSigns;

        CountingSignature(AtomicInteger initSigns) throws NoSuchAlgorithmException {
            this.delegate = Signature.getInstance("Ed25519", java.security.Security.getProvider("SunEC"));
            this.initSigns = initSigns;
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            initSigns.incrementAndGet();
            delegate.initSign(privateKey);
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            delegate.initVerify(publicKey);
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            delegate.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
            delegate.update(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            return delegate.sign();
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            return delegate.verify(sigBytes);
        }

        @Override
        @SuppressWarnings("deprecation")
        protected void engineSetParameter(String param, Object value) {
            throw new UnsupportedOperationException();
        }

        @Override
        @SuppressWarnings("deprecation")
        protected Object engineGetParameter(String param) {
            throw new UnsupportedOperationException();
        }
    }
}
