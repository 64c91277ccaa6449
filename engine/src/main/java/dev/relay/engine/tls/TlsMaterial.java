package dev.relay.engine.tls;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.SecureFiles;
import dev.relay.engine.config.TlsFiles;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server {@link SslContext} for STARTTLS: TLSv1.3 and TLSv1.2 only, JDK provider. With {@code smtp.tls}
 * configured, the PEM certificate chain and private key (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) are
 * loaded, and failures are {@link ConfigException}s naming {@code smtp.tls.certificate} or
 * {@code smtp.tls.private_key}. Without, a self-signed RSA-2048 certificate for the host name (SAN: host name,
 * localhost, 127.0.0.1; 10 years; SHA256withRSA) is generated once into {@code <data_dir>/tls/} and reused;
 * it is regenerated when it has expired or does not name the host name.
 */
public final class TlsMaterial {
    /** Name of the {@code SslHandler} in every pipeline. */
    public static final String SSL_HANDLER = "relay.ssl";
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    static final String CERT_FILE = "selfsigned-cert.pem";
    static final String KEY_FILE = "selfsigned-key.pem";
    static final Duration VALIDITY = Duration.ofDays(3650);

    private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private TlsMaterial() {}

    public static SslContext serverContext(@Nullable TlsFiles files, Path dataDir, String hostname) {
        if (files != null) {
            List<X509Certificate> chain = readCertificates(files.certificate(), "smtp.tls.certificate");
            PrivateKey key = readPrivateKey(files.privateKey(), "smtp.tls.private_key");
            return build(key, chain, "smtp.tls.private_key", files.privateKey().toString());
        }
        Path dir = dataDir.resolve("tls");
        Path certFile = dir.resolve(CERT_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        if (Files.exists(certFile) && Files.exists(keyFile)) {
            try {
                List<X509Certificate> chain = readCertificates(certFile, "self-signed certificate");
                PrivateKey key = readPrivateKey(keyFile, "self-signed key");
                if (usable(chain.get(0), hostname)) {
                    return build(key, chain, "self-signed key", keyFile.toString());
                }
                log.info("tls: self-signed certificate {} expired or not for {}, generating a new one", certFile, hostname);
            } catch (ConfigException e) {
                log.warn("tls: cannot reuse {}: {}; generating a new one", certFile, e.reason());
            }
        }
        SelfSigned generated = generate(hostname);
        try {
            SecureFiles.writeAtomically(keyFile, pem(generated.keyPem()));
            SecureFiles.writeAtomically(certFile, pem(generated.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write self-signed certificate to " + dir, e);
        }
        log.info("tls: generated self-signed certificate for {} in {}", hostname, certFile);
        return build(generated.key(), List.of(generated.certificate()), "self-signed key", keyFile.toString());
    }

    private static SslContext build(PrivateKey key, List<X509Certificate> chain, String keyName, String where) {
        if (!belongsTo(key, chain.get(0))) {
            throw new ConfigException(keyName, where, "the private key does not belong to the (first) certificate");
        }
        try {
            return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException(keyName, where, "certificate and private key are not usable together: " + e.getMessage());
        }
    }

    /** Whether {@code key} signs what the certificate's public key verifies. */
    static boolean belongsTo(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true; // unknown key type: let the TLS engine decide
        }
        try {
            byte[] probe = "relay key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean usable(X509Certificate cert, String hostname) {
        if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(1)))) {
            return false;
        }
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans != null && sans.stream().anyMatch(s -> hostname.equalsIgnoreCase(String.valueOf(s.get(1))));
        } catch (CertificateException e) {
            return false;
        }
    }

    static List<X509Certificate> readCertificates(Path file, String key) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            Object o;
            while ((o = pem.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    chain.add(converter.getCertificate(h));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new ConfigException(key, file.toString(), "cannot read PEM certificate: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new ConfigException(key, file.toString(), "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file");
        }
        return chain;
    }

    static PrivateKey readPrivateKey(Path file, String key) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            Object o;
            while ((o = pem.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                } else if (o instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new ConfigException(key, file.toString(), "encrypted private keys are not supported; "
                            + "decrypt it (openssl pkey -in key.pem -out plain.pem) and protect the file by its mode");
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(key, file.toString(), "cannot read PEM private key: " + e.getMessage());
        }
        throw new ConfigException(key, file.toString(), "no PEM private key (PKCS#8, RSA or EC) in the file");
    }

    private record SelfSigned(PrivateKey key, X509Certificate certificate, JcaPKCS8Generator keyPem) {}

    static SelfSigned generate(String hostname) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048, RANDOM);
            KeyPair pair = gen.generateKeyPair();
            X500Name name = new X500Name("CN=" + hostname.replaceAll("[,=+<>#;\"\\\\]", ""));
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, hostname),
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
            return new SelfSigned(pair.getPrivate(), cert, new JcaPKCS8Generator(pair.getPrivate(), null));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate", e);
        }
    }

    private static byte[] pem(Object o) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        }
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
