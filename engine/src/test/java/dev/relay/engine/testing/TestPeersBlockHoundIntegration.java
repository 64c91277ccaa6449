package dev.relay.engine.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound watches every Netty event loop in the test JVM, including those of the test's own peers. The Vert.x
 * Mail Client builds its TLS client context lazily on its event loop at STARTTLS (reading the JDK's trust store);
 * that is the test client's business, not the relay's, so it is allowed here.
 */
public final class TestPeersBlockHoundIntegration implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("io.vertx.core.spi.tls.DefaultSslContextFactory", "create");
    }
}
