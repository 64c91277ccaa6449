package dev.relay.engine.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.TlsFiles;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;

import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {
    @TempDir
    Path dir;

    @Test
    void selfSignedIsGeneratedOnceAndReused() throws Exception {
        SslContext first = TlsMaterial.serverContext(null, dir, "mx.example.test");
        Path cert = dir.resolve("tls/selfsigned-cert.pem");
        Path key = dir.resolve("tls/selfsigned-key.pem");
        assertThat(Files.readString(cert)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        }
        X509Certificate c = TlsMaterial.readCertificates(cert, "t").get(0);
        assertThat(c.getSubjectAlternativeNames()).extracting(l -> (Object) String.valueOf(l.get(1)))
                .containsExactly((Object) "mx.example.test", "localhost", "127.0.0.1");
        assertThat(c.getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(c.getNotAfter().getTime() - c.getNotBefore().getTime()).isGreaterThan(3649L * 86_400_000L);
        byte[] before = Files.readAllBytes(cert);

        TlsMaterial.serverContext(null, dir, "mx.example.test");
        assertThat(Files.readAllBytes(cert)).as("reused").isEqualTo(before);
        assertThat(first.isServer()).isTrue();

        TlsMaterial.serverContext(null, dir, "other.example.test");
        assertThat(Files.readAllBytes(cert)).as("regenerated for another host name").isNotEqualTo(before);
    }

    @Test
    void handshakeWithSelfSigned() throws Exception {
        SslContext server = TlsMaterial.serverContext(null, dir, "relay.local");
        String protocol = handshake(server, null);
        assertThat(protocol).isEqualTo("TLSv1.3");
    }

    @Test
    void tls12IsAcceptedButNotOlder() throws Exception {
        SslContext server = TlsMaterial.serverContext(null, dir, "relay.local");
        assertThat(handshake(server, "TLSv1.2")).isEqualTo("TLSv1.2");
        assertThat(server.newEngine(ByteBufAllocator.DEFAULT).getEnabledProtocols())
                .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    }

    @Test
    void configuredFilesPkcs8AndPkcs1AndEc() throws Exception {
        TlsMaterial.serverContext(null, dir, "relay.local");
        Path cert = dir.resolve("tls/selfsigned-cert.pem");
        Path key = dir.resolve("tls/selfsigned-key.pem");
        SslContext pkcs8 = TlsMaterial.serverContext(new TlsFiles(cert, key), dir.resolve("unused"), "relay.local");
        assertThat(handshake(pkcs8, null)).isEqualTo("TLSv1.3");
        assertThat(dir.resolve("unused")).doesNotExist();

        // PKCS#1 ("BEGIN RSA PRIVATE KEY") of the same key
        Path rsa = dir.resolve("rsa.pem");
        Files.writeString(rsa, pem(TlsMaterial.readPrivateKey(key, "k")));
        assertThat(Files.readString(rsa)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(handshake(TlsMaterial.serverContext(new TlsFiles(cert, rsa), dir, "relay.local"), null)).isEqualTo("TLSv1.3");

        // an EC key is read too (SEC1 "BEGIN EC PRIVATE KEY")
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = ec.generateKeyPair();
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info =
                org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
        java.math.BigInteger d = ((java.security.interfaces.ECPrivateKey) pair.getPrivate()).getS();
        byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, d,
                info.getPrivateKeyAlgorithm().getParameters()).getEncoded();
        Path ecKey = dir.resolve("ec.pem");
        Files.writeString(ecKey, pem(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1)));
        assertThat(TlsMaterial.readPrivateKey(ecKey, "k").getAlgorithm()).isEqualTo("EC");
        Path ecPkcs8 = dir.resolve("ec8.pem");
        Files.writeString(ecPkcs8, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(pair.getPrivate(), null)));
        assertThat(TlsMaterial.readPrivateKey(ecPkcs8, "k").getAlgorithm()).isEqualTo("EC");
        // an EC key with the RSA certificate: refused, naming the key
        assertThat(error(new TlsFiles(cert, ecKey)).key()).isEqualTo("smtp.tls.private_key");
    }

    @Test
    void badPemNamesTheKey() throws Exception {
        TlsMaterial.serverContext(null, dir, "relay.local");
        Path cert = dir.resolve("tls/selfsigned-cert.pem");
        Path key = dir.resolve("tls/selfsigned-key.pem");
        Path junk = dir.resolve("junk.pem");
        Files.writeString(junk, "not a pem\n");
        Path broken = dir.resolve("broken.pem");
        Files.writeString(broken, "-----BEGIN CERTIFICATE-----\nAAAA!!\n-----END CERTIFICATE-----\n");

        assertThat(error(new TlsFiles(junk, key)).key()).isEqualTo("smtp.tls.certificate");
        assertThat(error(new TlsFiles(broken, key)).key()).isEqualTo("smtp.tls.certificate");
        assertThat(error(new TlsFiles(dir.resolve("missing.pem"), key)).key()).isEqualTo("smtp.tls.certificate");
        ConfigException k = error(new TlsFiles(cert, junk));
        assertThat(k.key()).isEqualTo("smtp.tls.private_key");
        assertThat(k.getMessage()).contains(junk.toString());
        assertThat(error(new TlsFiles(cert, cert)).key()).isEqualTo("smtp.tls.private_key");

        // a key that does not belong to the certificate
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Path other = dir.resolve("other.pem");
        Files.writeString(other, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(rsa.generateKeyPair().getPrivate(), null)));
        assertThat(error(new TlsFiles(cert, other)).key()).isEqualTo("smtp.tls.private_key");
    }

    @Test
    void corruptGeneratedFilesAreReplaced() throws Exception {
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls/selfsigned-cert.pem"), "garbage");
        Files.writeString(dir.resolve("tls/selfsigned-key.pem"), "garbage");
        assertThat(handshake(TlsMaterial.serverContext(null, dir, "relay.local"), null)).isEqualTo("TLSv1.3");
    }

    private ConfigException error(TlsFiles files) {
        try {
            TlsMaterial.serverContext(files, dir, "relay.local");
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("no ConfigException");
    }

    private static String pem(Object o) throws Exception {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        }
        return s.toString();
    }

    /** Runs a TLS handshake between two EmbeddedChannels, sends one message, returns the negotiated protocol. */
    private static String handshake(SslContext serverContext, String clientProtocol) throws Exception {
        SslContextBuilder cb = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE);
        if (clientProtocol != null) {
            cb.protocols(clientProtocol);
        }
        SslContext clientContext = cb.build();
        EmbeddedChannel server = new EmbeddedChannel();
        server.pipeline().addLast(TlsMaterial.SSL_HANDLER, serverContext.newHandler(server.alloc()));
        EmbeddedChannel client = new EmbeddedChannel();
        client.pipeline().addLast(TlsMaterial.SSL_HANDLER, clientContext.newHandler(client.alloc(), "localhost", 2525));
        SslHandler c = client.pipeline().get(SslHandler.class);
        SslHandler s = server.pipeline().get(SslHandler.class);
        try {
            for (int i = 0; i < 50 && !(c.handshakeFuture().isDone() && s.handshakeFuture().isDone()); i++) {
                shuttle(client, server);
                shuttle(server, client);
            }
            assertThat(c.handshakeFuture().cause()).isNull();
            assertThat(s.handshakeFuture().isSuccess()).isTrue();
            client.writeOutbound(Unpooled.copiedBuffer("EHLO x\r\n", StandardCharsets.US_ASCII));
            shuttle(client, server);
            StringBuilder got = new StringBuilder();
            Object m;
            while ((m = server.readInbound()) != null) {
                ByteBuf b = (ByteBuf) m;
                got.append(b.toString(StandardCharsets.US_ASCII));
                b.release();
            }
            assertThat(got).hasToString("EHLO x\r\n");
            return s.engine().getSession().getProtocol();
        } finally {
            client.finishAndReleaseAll();
            server.finishAndReleaseAll();
        }
    }

    private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        Object m;
        while ((m = from.readOutbound()) != null) {
            to.writeInbound(m);
        }
    }

}
