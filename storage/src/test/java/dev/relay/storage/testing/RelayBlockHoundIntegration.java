package dev.relay.storage.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound allowances for the whole relay's tests, found by {@code ServiceLoader} both when a test installs
 * BlockHound itself and when {@code blockhound-junit-platform} installs it automatically: the SCRAM client of
 * r2dbc-postgresql draws its nonce from {@code SecureRandom} (a read of /dev/urandom, which does not block in
 * practice) on the connection's event loop when a pool opens a connection; and Vert.x, the independent SMTP client
 * of {@code VertxSubmissionIT}, shuts its worker pool down from its own event loop ({@code WorkerPool.close} takes
 * the executor's queue lock), which made {@code Vertx.close()} fail on that thread and never complete.
 */
public final class RelayBlockHoundIntegration implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("com.ongres.scram.common.util.CryptoUtil", "nonce");
        builder.allowBlockingCallsInside("io.vertx.core.impl.WorkerPool", "close");
    }
}
