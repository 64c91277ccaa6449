package dev.relay.engine.delivery;

import dev.relay.engine.tls.TlsMaterial;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.time.Duration;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The two client TLS contexts, built once up front (building reads the JDK trust store, which is blocking file
 * I/O that must never happen on an event loop). Opportunistic TLS trusts any certificate: without an
 * authenticated name (MTA-STS, DANE: later) a check would only turn encrypted delivery into plaintext delivery.
 * Hops with {@code verifyCertificate} are checked against the trust store and their host name.
 */
final class ClientTls {
    private final SslContext verifying;
    private final SslContext trustingAll;

    /** {@code trust} null: the JDK's default trust store. */
    ClientTls(@Nullable TrustManagerFactory trust) {
        try {
            verifying = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols(TlsMaterial.PROTOCOLS)
                    .trustManager(trust).endpointIdentificationAlgorithm("HTTPS").build();
            trustingAll = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols(TlsMaterial.PROTOCOLS)
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS contexts", e);
        }
    }

    /** An SslHandler for STARTTLS to {@code hostname} (SNI and, when verifying, the name checked). */
    SslHandler newHandler(ByteBufAllocator alloc, String hostname, int port, boolean verify, Duration timeout) {
        SslHandler handler = (verify ? verifying : trustingAll).newHandler(alloc, hostname, port);
        handler.setHandshakeTimeoutMillis(timeout.toMillis());
        return handler;
    }
}
