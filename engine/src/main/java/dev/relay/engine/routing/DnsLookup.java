package dev.relay.engine.routing;

import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Uncached DNS questions the router needs. Futures always complete normally: failures are {@link DnsAnswer.Failed},
 * so a cache never has to tell an exception from an answer.
 */
public interface DnsLookup {
    /** MX records of {@code domain} (ASCII, lower case). */
    CompletableFuture<DnsAnswer<MxRecord>> mx(String domain);

    /** A and AAAA records of {@code host}, IPv4 first. */
    CompletableFuture<DnsAnswer<InetAddress>> addresses(String host);
}
