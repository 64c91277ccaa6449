package dev.relay.engine.routing;

import dev.relay.engine.config.RouteTarget;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * {@code delivery.routes}: the exact recipient domain, else {@code *}, names a fixed next hop, bypassing MX lookup.
 * The site is the target {@code host:port}, so all domains sent to one smarthost share one pool. An IP literal or
 * {@code localhost} (always 127.0.0.1, never the hosts file) needs no DNS at all; another name is resolved by A/AAAA
 * through the cache. A route whose host does not resolve defers rather than bounces: it is the operator's
 * configuration, fixable, not the recipient's fault.
 */
public final class StaticRoutes {
    private static final InetAddress LOCALHOST = localhost();

    private final Map<String, Mono<Resolution>> routes = new HashMap<>();

    public StaticRoutes(Map<String, RouteTarget> routes, CachingResolver resolver) {
        Objects.requireNonNull(resolver, "resolver");
        routes.forEach((domain, target) -> this.routes.put(domain.toLowerCase(Locale.ROOT), route(target, resolver)));
    }

    /** The route for {@code domain}; empty when none applies and DNS decides. */
    public Mono<Resolution> resolve(String domain) {
        Mono<Resolution> route = routes.get(domain);
        if (route == null) {
            route = routes.get("*");
        }
        return route == null ? Mono.empty() : route;
    }

    public boolean isEmpty() {
        return routes.isEmpty();
    }

    private static Mono<Resolution> route(RouteTarget target, CachingResolver resolver) {
        String host = target.target().host().toLowerCase(Locale.ROOT);
        int port = target.target().port();
        String site = target.target().toString().toLowerCase(Locale.ROOT);
        InetAddress literal = host.equals("localhost") ? LOCALHOST : IpLiterals.parse(host);
        if (literal != null) {
            return Mono.just(new Resolution.Routed(site,
                    Hops.of(host, List.of(literal), port, target.tls(), target.verifyCertificate())));
        }
        // lazy and re-subscribable: each subscription asks the cache again, so TTLs apply to smarthosts too
        return resolver.addresses(host).map(answer -> {
            if (answer instanceof DnsAnswer.Found<InetAddress> found) {
                return new Resolution.Routed(site,
                        Hops.of(host, found.values(), port, target.tls(), target.verifyCertificate()));
            }
            String why = answer instanceof DnsAnswer.Failed<InetAddress> failed ? failed.reason()
                    : answer instanceof DnsAnswer.NxDomain<InetAddress> ? "NXDOMAIN" : "no address records";
            return new Resolution.Unresolvable("static route host " + host + " does not resolve: " + why);
        });
    }

    private static InetAddress localhost() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }
}
