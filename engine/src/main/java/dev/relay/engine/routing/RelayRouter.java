package dev.relay.engine.routing;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.relay.engine.config.DeliveryConfig;
import dev.relay.engine.config.TlsMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The relay's {@link Router}: static routes first (exact domain, then {@code *}), then address literals
 * ({@code [192.0.2.1]} goes to that address), then DNS. An address literal or an MX that is this relay
 * ({@link SelfAddresses}: loopback, our listen addresses) bounces with 5.4.6 "loops back to myself"; a static route
 * may point anywhere, loopback included. Never errors: an unexpected failure becomes
 * {@link Resolution.Unresolvable}, so the recipients are deferred, not lost.
 *
 * <p>Resolutions complete on the DNS client's event loop (or the caller's thread on a cache hit); callers that do
 * real work afterwards should publish on their own scheduler.
 */
public final class RelayRouter implements Router, AutoCloseable {
    public static final int SMTP_PORT = 25;

    private final StaticRoutes staticRoutes;
    private final DnsRouter dns;
    private final CachingResolver cache;
    private final int port;
    private final TlsMode tls;
    private final @Nullable DnsClient owned;
    private final SelfAddresses self;

    /**
     * A router that shares {@code lookup} (closed by its owner, not here), sending MX deliveries to {@code mxPort}.
     * Tests pass a {@link DnsClient} for their own nameserver, a loopback port and a fake ticker.
     */
    public RelayRouter(DeliveryConfig config, DnsLookup lookup, int mxPort, Ticker ticker) {
        this(config, lookup, mxPort, ticker, null, List::of, SelfAddresses.LOOPBACK);
    }

    private RelayRouter(DeliveryConfig config, DnsLookup lookup, int mxPort, Ticker ticker,
            @Nullable DnsClient owned, Supplier<List<String>> moreSiteSuffixes, SelfAddresses self) {
        this.cache = new CachingResolver(lookup, config.dns(), ticker);
        // MX hops are opportunistic: the site's shaping (tls: required|disabled) decides per delivery
        this.tls = TlsMode.OPPORTUNISTIC;
        this.port = mxPort;
        this.staticRoutes = new StaticRoutes(config.routes(), cache);
        this.dns = new DnsRouter(cache, new Sites(config.siteSuffixes(), moreSiteSuffixes), mxPort, tls, self);
        this.self = self;
        this.owned = owned;
    }

    /** Production: nameservers from {@code delivery.dns} (or the system's), port 25, the system clock. */
    public static RelayRouter create(DeliveryConfig config) {
        return create(config, SMTP_PORT, Ticker.systemTicker());
    }

    /**
     * Production with site suffixes that may change while running (the MX suffixes of the shaping file, read at
     * each lookup so a reloaded file regroups hosts at once).
     */
    public static RelayRouter create(DeliveryConfig config, Supplier<List<String>> moreSiteSuffixes) {
        return create(config, moreSiteSuffixes, SelfAddresses.LOOPBACK);
    }

    /** As above, with {@code self} (the SMTP listener's addresses) for loop detection. */
    public static RelayRouter create(DeliveryConfig config, Supplier<List<String>> moreSiteSuffixes,
                                     SelfAddresses self) {
        DnsClient client = DnsClient.create(config.dns());
        return new RelayRouter(config, client, SMTP_PORT, Ticker.systemTicker(), client, moreSiteSuffixes, self);
    }

    /** Its own {@link DnsClient} for {@code delivery.dns.servers}, closed with this router. */
    public static RelayRouter create(DeliveryConfig config, int mxPort, Ticker ticker) {
        return create(config, mxPort, ticker, SelfAddresses.LOOPBACK);
    }

    /** As above, with {@code self} for loop detection. */
    public static RelayRouter create(DeliveryConfig config, int mxPort, Ticker ticker, SelfAddresses self) {
        DnsClient client = DnsClient.create(config.dns());
        return new RelayRouter(config, client, mxPort, ticker, client, List::of, self);
    }

    @Override
    public Mono<Resolution> resolve(String domain) {
        String d = DnsMessages.normalize(Objects.requireNonNull(domain, "domain").strip());
        return staticRoutes.resolve(d)
                .switchIfEmpty(Mono.defer(() -> d.startsWith("[") ? Mono.just(literal(d)) : dns.resolve(d)))
                .onErrorResume(e -> Mono.just(new Resolution.Unresolvable("routing " + d + " failed: " + e)));
    }

    private Resolution literal(String domain) {
        InetAddress address = IpLiterals.parseDomainLiteral(domain);
        if (address == null) {
            return new Resolution.Undeliverable("5.1.2", "invalid address literal " + domain);
        }
        if (self.isSelf(address)) {
            return DnsRouter.loop(domain);
        }
        InetSocketAddress target = new InetSocketAddress(address, port);
        // like a static route, the site is the destination host:port: one pool per address
        String site = (address.getAddress().length == 16 ? "[" + address.getHostAddress() + "]"
                : address.getHostAddress()) + ":" + port;
        return new Resolution.Routed(site.toLowerCase(Locale.ROOT),
                List.of(new NextHop(address.getHostAddress(), target, tls, false)));
    }

    /** The MX and address caches, for metrics. */
    public CachingResolver cache() {
        return cache;
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
