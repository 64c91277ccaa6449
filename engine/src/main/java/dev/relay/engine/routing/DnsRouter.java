package dev.relay.engine.routing;

import dev.relay.engine.config.TlsMode;
import java.net.IDN;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Routes a domain by DNS (RFC 5321 5.1): MX records by preference, random among equal preferences, each host's A
 * then AAAA addresses; no MX record → the domain itself is the only MX (implicit MX). Outcomes:
 * <ul>
 *   <li>null MX (RFC 7505) → {@code Undeliverable 5.1.10}; NXDOMAIN → {@code Undeliverable 5.1.2}; no MX and no
 *       address → {@code Undeliverable 5.4.4};</li>
 *   <li>SERVFAIL, REFUSED, timeout → {@code Unresolvable}; so is "no MX host has an address", since a host's
 *       addresses may be missing only for a moment (MX hosts without addresses are skipped, not fatal).</li>
 *   <li>an MX host with an address that is this relay ({@link SelfAddresses}) cuts the list before its preference,
 *       as Postfix does: only more preferred hosts remain (we are a backup MX and relay to the primary); when none
 *       remains, or the implicit MX is us → {@code Undeliverable 5.4.6} "loops back to myself" (RFC 3463: routing
 *       loop detected), a bounce instead of mail circling until it expires.</li>
 * </ul>
 * Next hops carry the site default TLS mode and never verify certificates: MX certificates rarely match.
 */
public final class DnsRouter implements Router {
    private final CachingResolver resolver;
    private final Sites sites;
    private final int port;
    private final TlsMode tls;
    private final SelfAddresses self;

    /** With loop detection for loopback addresses only. */
    public DnsRouter(CachingResolver resolver, Sites sites, int port, TlsMode tls) {
        this(resolver, sites, port, tls, SelfAddresses.LOOPBACK);
    }

    /** @param port 25 in production; tests point MX answers at a loopback port of their own */
    public DnsRouter(CachingResolver resolver, Sites sites, int port, TlsMode tls, SelfAddresses self) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.sites = Objects.requireNonNull(sites, "sites");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, was " + port);
        }
        this.port = port;
        this.tls = Objects.requireNonNull(tls, "tls");
        this.self = Objects.requireNonNull(self, "self");
    }

    /** The bounce for a domain whose best route is this relay. */
    static Resolution.Undeliverable loop(String name) {
        return new Resolution.Undeliverable("5.4.6", "mail for " + name + " loops back to myself");
    }

    @Override
    public Mono<Resolution> resolve(String domain) {
        String name;
        try {
            name = DnsMessages.normalize(IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED));
        } catch (IllegalArgumentException e) {
            return Mono.just(new Resolution.Undeliverable("5.1.2", "invalid domain " + domain));
        }
        if (name.isEmpty()) {
            return Mono.just(new Resolution.Undeliverable("5.1.2", "empty domain"));
        }
        return resolver.mx(name).flatMap(answer -> route(name, answer));
    }

    private Mono<Resolution> route(String name, DnsAnswer<MxRecord> answer) {
        if (answer instanceof DnsAnswer.Found<MxRecord> found) {
            return viaMx(name, found.values());
        }
        if (answer instanceof DnsAnswer.NoData<MxRecord>) {
            return implicitMx(name);
        }
        if (answer instanceof DnsAnswer.NxDomain<MxRecord>) {
            return Mono.just(new Resolution.Undeliverable("5.1.2", name + ": no such domain (NXDOMAIN)"));
        }
        DnsAnswer.Failed<MxRecord> failed = (DnsAnswer.Failed<MxRecord>) answer;
        return Mono.just(new Resolution.Unresolvable("MX lookup failed: " + failed.reason()));
    }

    private Mono<Resolution> viaMx(String name, List<MxRecord> records) {
        // RFC 7505 allows only a lone null MX; if someone publishes it next to real hosts, the real hosts win
        List<MxRecord> usable = records.stream().filter(r -> !r.isNull()).toList();
        if (usable.isEmpty()) {
            return Mono.just(new Resolution.Undeliverable("5.1.10", name + " accepts no mail (null MX, RFC 7505)"));
        }
        String site = sites.siteOf(MxOrder.primary(usable).exchange());
        List<MxRecord> ordered = MxOrder.order(usable, ThreadLocalRandom.current());
        return Flux.fromIterable(ordered)
                .flatMapSequential(mx -> resolver.addresses(mx.exchange()))
                .collectList()
                .map(answers -> hops(name, site, ordered, answers));
    }

    private Resolution hops(String name, String site, List<MxRecord> ordered, List<DnsAnswer<InetAddress>> answers) {
        List<NextHop> hops = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int ourPreference = Integer.MAX_VALUE;
        for (int i = 0; i < ordered.size(); i++) {
            if (answers.get(i) instanceof DnsAnswer.Found<InetAddress> found
                    && found.values().stream().anyMatch(self::isSelf)) {
                ourPreference = Math.min(ourPreference, ordered.get(i).preference());
            }
        }
        for (int i = 0; i < ordered.size() && ordered.get(i).preference() < ourPreference; i++) {
            String host = ordered.get(i).exchange();
            if (answers.get(i) instanceof DnsAnswer.Found<InetAddress> found) {
                hops.addAll(Hops.of(host, found.values(), port, tls, false));
            } else {
                skipped.add(host + " (" + describe(answers.get(i)) + ")");
            }
        }
        if (hops.isEmpty() && skipped.isEmpty() && ourPreference != Integer.MAX_VALUE) {
            return loop(name);
        }
        return hops.isEmpty()
                ? new Resolution.Unresolvable("no MX host of " + name + " has an address: " + String.join(", ", skipped))
                : new Resolution.Routed(site, hops);
    }

    private Mono<Resolution> implicitMx(String name) {
        return resolver.addresses(name).map(answer -> {
            if (answer instanceof DnsAnswer.Found<InetAddress> found) {
                if (found.values().stream().anyMatch(self::isSelf)) {
                    return loop(name);
                }
                return new Resolution.Routed(sites.siteOf(name), Hops.of(name, found.values(), port, tls, false));
            }
            if (answer instanceof DnsAnswer.Failed<InetAddress> failed) {
                return new Resolution.Unresolvable("address lookup failed: " + failed.reason());
            }
            return new Resolution.Undeliverable("5.4.4", name + " has neither MX nor address records");
        });
    }

    private static String describe(DnsAnswer<InetAddress> answer) {
        if (answer instanceof DnsAnswer.Failed<InetAddress> failed) {
            return failed.reason();
        }
        return answer instanceof DnsAnswer.NxDomain<InetAddress> ? "NXDOMAIN" : "no address records";
    }
}
