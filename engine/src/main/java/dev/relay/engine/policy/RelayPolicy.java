package dev.relay.engine.policy;

import dev.relay.engine.config.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * Who may relay: authenticated systems, and clients inside the configured {@code smtp.relay_networks}.
 * Everything else is an open-relay attempt and is refused at RCPT.
 */
public record RelayPolicy(List<Cidr> relayNetworks) {
    public RelayPolicy {
        relayNetworks = List.copyOf(relayNetworks);
    }

    public boolean mayRelay(InetAddress client, boolean authenticated) {
        if (authenticated) {
            return true;
        }
        for (Cidr network : relayNetworks) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }
}
