package dev.relay.engine.routing;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses that are this relay, for loop detection (what Postfix calls "mail for X loops back to myself"): any
 * loopback or wildcard address, and the addresses the SMTP listener accepts on; for a wildcard listener, every
 * address of every interface. Compared by address alone, as Postfix does: another daemon on another port of our own
 * address is not a next hop we should relay through either. Static routes are never checked (that is how tests and
 * local sinks on loopback are reached on purpose).
 *
 * <p>Immutable; built once at start, off the event loops (resolving the listen host and listing interfaces may block).
 */
public final class SelfAddresses {
    /** Loopback and wildcard addresses only: for a router whose listener is not known (tests, tools). */
    public static final SelfAddresses LOOPBACK = new SelfAddresses(Set.of());

    private static final Logger log = LoggerFactory.getLogger(SelfAddresses.class);

    private final Set<InetAddress> listening;

    private SelfAddresses(Set<InetAddress> listening) {
        this.listening = Set.copyOf(listening);
    }

    /** Exactly these addresses besides loopback and wildcard ones. */
    public static SelfAddresses of(Set<InetAddress> addresses) {
        return new SelfAddresses(addresses);
    }

    /**
     * The addresses of the SMTP listener's host ({@code smtp.listen}); every interface's when it is a wildcard. A
     * host that does not resolve now adds nothing (the listener would not have started either).
     */
    public static SelfAddresses listeningOn(String host) {
        Set<InetAddress> all = new HashSet<>();
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (address.isAnyLocalAddress()) {
                    all.addAll(interfaceAddresses());
                } else {
                    all.add(address);
                }
            }
        } catch (UnknownHostException e) {
            log.warn("loop detection: smtp.listen host {} does not resolve; only loopback counts as this relay", host);
        }
        return new SelfAddresses(all);
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> all = new HashSet<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                all.addAll(Collections.list(nic.getInetAddresses()));
            }
        } catch (SocketException e) {
            log.warn("loop detection: cannot list network interfaces ({}); only loopback counts as this relay",
                    e.getMessage());
        }
        return all;
    }

    /** Whether a next hop at {@code address} would be this relay (or this host). */
    public boolean isSelf(InetAddress address) {
        return address.isLoopbackAddress() || address.isAnyLocalAddress() || listening.contains(address);
    }
}
