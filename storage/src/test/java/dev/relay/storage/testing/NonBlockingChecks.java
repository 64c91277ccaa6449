package dev.relay.storage.testing;

import reactor.blockhound.BlockHound;

/**
 * Installs BlockHound (once per JVM) with the allowances the storage stack needs: the SCRAM client
 * of r2dbc-postgresql draws its nonce from {@code SecureRandom} (a read of /dev/urandom, which does
 * not block in practice) on the connection's event loop when a pool opens a connection.
 */
public final class NonBlockingChecks {
    private static boolean installed;

    private NonBlockingChecks() {}

    public static synchronized void install() {
        if (installed) {
            return;
        }
        // The allowances come from RelayBlockHoundIntegration, loaded through ServiceLoader.
        BlockHound.install();
        installed = true;
    }
}
