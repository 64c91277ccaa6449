package dev.relay.engine.routing;

import dev.relay.engine.config.TlsMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** Next hops for one host name: one per address, in the order the addresses came. */
final class Hops {
    private Hops() {
    }

    static List<NextHop> of(String hostname, List<InetAddress> addresses, int port, TlsMode tls, boolean verify) {
        return addresses.stream()
                .map(address -> new NextHop(hostname, new InetSocketAddress(address, port), tls, verify))
                .toList();
    }
}
