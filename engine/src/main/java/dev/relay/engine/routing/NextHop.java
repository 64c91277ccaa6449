package dev.relay.engine.routing;

import dev.relay.engine.config.TlsMode;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One address to try: the host name (MX name or static route host; for logs, SNI and certificate checks), its
 * resolved address, and the TLS policy that applies to it ({@code verifyCertificate} only for routes that ask).
 */
public record NextHop(String hostname, InetSocketAddress address, TlsMode tls, boolean verifyCertificate) {
    public NextHop {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(tls, "tls");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("next hop address must be resolved: " + address);
        }
    }
}
