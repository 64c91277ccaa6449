package dev.relay.benchmarks;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.protocol.dkim.DkimSigner;
import dev.relay.protocol.dkim.DkimSigningKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.conscrypt.Conscrypt;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * DKIM signing of one 2 KiB message (body hash, header canonicalisation, the private-key operations) with each
 * candidate JCA provider: the JDK's (SunRsaSign, SunEC), Bouncy Castle, Amazon Corretto Crypto Provider (AWS-LC,
 * native) and Conscrypt (BoringSSL, native). {@code keys}: one Ed25519 key, one RSA-2048 key, or both (the dual
 * signature every message gets by default). One op = one message signed. A provider without the algorithm fails
 * its setup, which JMH reports as an error for that combination.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DkimSigningBenchmark {

    @Param({"jdk", "bc", "accp", "conscrypt"})
    public String provider;

    @Param({"ed25519", "rsa", "both"})
    public String keys;

    /**
     * {@code provider}: the key imported by the provider's own KeyFactory (what {@code DkimProviders} does);
     * {@code jdk}: the JDK's key object handed to the provider, which may then convert it on every
     * {@code initSign} (the cost of forgetting the import; -p keyObject=jdk).
     */
    @Param({"provider"})
    public String keyObject = "provider";

    /** Message size in bytes (the body grows); 2 KiB is the size of the end-to-end benchmarks. */
    @Param({"2048"})
    public int size;

    private ByteBuf message;
    private List<DkimSigningKey> signingKeys;
    private final Instant now = Instant.parse("2026-12-05T00:00:00Z");

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        StringBuilder text = new StringBuilder("From: Shop <orders@shop.example>\r\nTo: ann@example.org\r\n"
                + "Subject: Your order 12345 has shipped\r\nDate: Sat, 05 Dec 2026 00:10:00 +0000\r\n"
                + "Message-ID: <12345@shop.example>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\n");
        while (text.length() < size) {
            text.append("Your order is on its way; track it at https://shop.example/track/12345 .\r\n");
        }
        message = Unpooled.wrappedBuffer(text.toString().getBytes(StandardCharsets.UTF_8));
        List<DkimAlgorithm> algorithms = switch (keys) {
            case "ed25519" -> List.of(DkimAlgorithm.ED25519_SHA256);
            case "rsa" -> List.of(DkimAlgorithm.RSA_SHA256);
            default -> List.of(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256);
        };
        signingKeys = new ArrayList<>();
        for (DkimAlgorithm algorithm : algorithms) {
            Provider p = provider(provider, algorithm);
            PrivateKey privateKey = keyObject.equals("jdk") ? key(algorithm, Security.getProvider(
                    algorithm == DkimAlgorithm.RSA_SHA256 ? "SunRsaSign" : "SunEC")) : key(algorithm, p);
            signingKeys.add(new DkimSigningKey("shop.example", "s1", algorithm, privateKey, p));
        }
        // Fail here, not in the measurement, when the provider lacks the algorithm.
        DkimSigner.sign(message, signingKeys, now, null);
    }

    static Provider provider(String name, DkimAlgorithm algorithm) {
        return switch (name) {
            case "jdk" -> Security.getProvider(algorithm == DkimAlgorithm.RSA_SHA256 ? "SunRsaSign" : "SunEC");
            case "bc" -> new BouncyCastleProvider();
            case "accp" -> {
                AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
                if (accp.getLoadingError() != null) {
                    throw new IllegalStateException("ACCP did not load", accp.getLoadingError());
                }
                yield accp;
            }
            case "conscrypt" -> Conscrypt.newProvider();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A key generated by the JDK, imported into {@code provider} as a key store would hand it over (PKCS#8). */
    static PrivateKey key(DkimAlgorithm algorithm, Provider provider) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.jcaKey());
        if (algorithm == DkimAlgorithm.RSA_SHA256) {
            generator.initialize(2048);
        }
        byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
        KeyFactory factory;
        try {
            factory = KeyFactory.getInstance(algorithm.jcaKey(), provider);
        } catch (java.security.NoSuchAlgorithmException e) {
            // ACCP signs Ed25519 but has no Ed25519 KeyFactory: it takes the JDK's key object
            factory = KeyFactory.getInstance(algorithm.jcaKey());
        }
        return factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    @Benchmark
    public byte[] sign() throws GeneralSecurityException {
        return DkimSigner.sign(message, signingKeys, now, null);
    }
}
