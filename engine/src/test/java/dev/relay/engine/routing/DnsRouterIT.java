package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.DeliveryConfig;
import dev.relay.engine.config.DnsConfig;
import dev.relay.engine.config.HostPort;
import dev.relay.engine.config.RetryConfig;
import dev.relay.engine.config.RouteTarget;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.testing.TestDnsServer;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** {@link RelayRouter} against a real DNS server on loopback (see {@link TestDnsServer}). */
class DnsRouterIT {
    private static final int MX_PORT = 2525;
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private static TestDnsServer dns;

    private final FakeTicker ticker = new FakeTicker();
    private RelayRouter router;

    @BeforeAll
    static void startDns() {
        dns = new TestDnsServer()
                .mx("pref.test", 300, 20, "mx2.pref.test").mx("pref.test", 300, 10, "mx1.pref.test")
                .a("mx1.pref.test", 300, "192.0.2.1").a("mx2.pref.test", 300, "192.0.2.2")
                .aaaa("mx1.pref.test", 300, "2001:db8::1")
                .mx("equal.test", 300, 5, "first.equal.test")
                .mx("equal.test", 300, 10, "a.equal.test").mx("equal.test", 300, 10, "b.equal.test")
                .mx("equal.test", 300, 10, "c.equal.test")
                .a("first.equal.test", 300, "192.0.2.10").a("a.equal.test", 300, "192.0.2.11")
                .a("b.equal.test", 300, "192.0.2.12").a("c.equal.test", 300, "192.0.2.13")
                .a("nomx.test", 300, "192.0.2.20")
                .mx("nullmx.test", 300, 0, ".")
                .exists("empty.test")
                .fail("servfail.test", DnsResponseCode.SERVFAIL)
                .drop("silent.test")
                .mx("noaddr.test", 300, 10, "ghost.noaddr.test").exists("ghost.noaddr.test")
                .mx("skip.test", 300, 10, "ghost.skip.test").mx("skip.test", 300, 20, "mx.skip.test")
                .a("mx.skip.test", 300, "192.0.2.30")
                .mx("ttl.test", 60, 10, "mx.ttl.test").a("mx.ttl.test", 60, "192.0.2.40")
                .mx("slow.test", 300, 10, "mx.slow.test").a("mx.slow.test", 300, "192.0.2.50")
                .delay("slow.test", Duration.ofMillis(200))
                .mx("one.test", 300, 10, "mx1.mailhost.test").a("mx1.mailhost.test", 300, "192.0.2.60")
                .mx("two.test", 300, 10, "in.mx2.mailhost.test").a("in.mx2.mailhost.test", 300, "192.0.2.61")
                .mx("uk.test", 300, 10, "mx.provider.co.uk").a("mx.provider.co.uk", 300, "192.0.2.70")
                .a("smarthost.test", 300, "192.0.2.80")
                // loops: 198.51.100.7 stands for this relay's own (non-loopback) listen address
                .mx("loop.test", 300, 10, "mx.loop.test").a("mx.loop.test", 300, "127.0.0.1")
                .mx("best.test", 300, 10, "us.best.test").mx("best.test", 300, 20, "backup.best.test")
                .a("us.best.test", 300, "198.51.100.7").a("backup.best.test", 300, "192.0.2.92")
                .mx("backup.test", 300, 10, "primary.backup.test").mx("backup.test", 300, 20, "us.backup.test")
                .mx("backup.test", 300, 20, "peer.backup.test").mx("backup.test", 300, 30, "third.backup.test")
                .a("primary.backup.test", 300, "192.0.2.90").a("us.backup.test", 300, "198.51.100.7")
                .a("peer.backup.test", 300, "192.0.2.93").a("third.backup.test", 300, "192.0.2.91")
                .a("implicit-self.test", 300, "198.51.100.7");
    }

    @AfterAll
    static void stopDns() {
        dns.close();
    }

    @BeforeEach
    void startRouter() {
        router = RelayRouter.create(config(Map.of()), MX_PORT, ticker);
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    private static DeliveryConfig config(Map<String, RouteTarget> routes) {
        DnsConfig dnsConfig = new DnsConfig(List.of(new HostPort("127.0.0.1", dns.port())), TIMEOUT, 1000,
                Duration.ofSeconds(1), Duration.ofDays(1), Duration.ofMinutes(5));
        return new DeliveryConfig(true, "test", routes, dnsConfig, List.of("mailhost.test"), RetryConfig.defaults(),
                20_000, 0.5, Duration.ofSeconds(1), null, null);
    }

    private Resolution resolve(String domain) {
        return router.resolve(domain).block(Duration.ofSeconds(5));
    }

    private static Resolution.Routed routed(Resolution resolution) {
        assertThat(resolution).isInstanceOf(Resolution.Routed.class);
        return (Resolution.Routed) resolution;
    }

    private static List<String> addresses(Resolution.Routed routed) {
        return routed.hops().stream().map(h -> h.address().getAddress().getHostAddress()).toList();
    }

    @Test
    void mxHostsComeInPreferenceOrderWithIpv4First() {
        Resolution.Routed routed = routed(resolve("pref.test"));
        assertThat(routed.hops()).extracting(NextHop::hostname)
                .containsExactly("mx1.pref.test", "mx1.pref.test", "mx2.pref.test");
        assertThat(addresses(routed)).containsExactly("192.0.2.1", "2001:db8:0:0:0:0:0:1", "192.0.2.2");
        assertThat(routed.hops()).allSatisfy(hop -> {
            assertThat(hop.address().getPort()).isEqualTo(MX_PORT);
            assertThat(hop.tls()).isEqualTo(TlsMode.OPPORTUNISTIC);
            assertThat(hop.verifyCertificate()).isFalse();
        });
        assertThat(routed.site()).isEqualTo("pref.test");
    }

    @Test
    void equalPreferencesAreShuffledOnEveryResolve() {
        Set<String> seenSecond = new HashSet<>();
        for (int i = 0; i < 200 && seenSecond.size() < 3; i++) {
            Resolution.Routed routed = routed(resolve("equal.test"));
            assertThat(routed.hops().get(0).hostname()).isEqualTo("first.equal.test");
            assertThat(routed.hops()).extracting(NextHop::hostname).containsExactlyInAnyOrder(
                    "first.equal.test", "a.equal.test", "b.equal.test", "c.equal.test");
            seenSecond.add(routed.hops().get(1).hostname());
            // the site is named after the most preferred host, not after whichever shuffled first
            assertThat(routed.site()).isEqualTo("equal.test");
        }
        assertThat(seenSecond).containsExactlyInAnyOrder("a.equal.test", "b.equal.test", "c.equal.test");
        assertThat(dns.queries("equal.test", DnsRecordType.MX)).isEqualTo(1);
    }

    @Test
    void withoutMxTheDomainIsItsOwnMx() {
        Resolution.Routed routed = routed(resolve("nomx.test"));
        assertThat(routed.hops()).singleElement().satisfies(hop -> {
            assertThat(hop.hostname()).isEqualTo("nomx.test");
            assertThat(hop.address()).isEqualTo(new InetSocketAddress("192.0.2.20", MX_PORT));
        });
    }

    @Test
    void nullMxIsUndeliverable() {
        assertThat(resolve("nullmx.test")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.1.10"));
    }

    @Test
    void nxdomainIsUndeliverable() {
        assertThat(resolve("nowhere.test")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.1.2"));
    }

    @Test
    void noMxAndNoAddressIsUndeliverable() {
        assertThat(resolve("empty.test")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.4"));
    }

    @Test
    void servfailIsUnresolvable() {
        assertThat(resolve("servfail.test")).isInstanceOfSatisfying(Resolution.Unresolvable.class,
                u -> assertThat(u.reason()).contains("SERVFAIL"));
    }

    @Test
    void silenceIsUnresolvableAfterTheTimeout() {
        long start = System.nanoTime();
        assertThat(resolve("silent.test")).isInstanceOfSatisfying(Resolution.Unresolvable.class,
                u -> assertThat(u.reason()).contains("timed out"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(TIMEOUT.minusMillis(50));
    }

    @Test
    void mxHostsWithoutAddressesAreSkipped() {
        assertThat(addresses(routed(resolve("skip.test")))).containsExactly("192.0.2.30");
        assertThat(resolve("noaddr.test")).isInstanceOfSatisfying(Resolution.Unresolvable.class,
                u -> assertThat(u.reason()).contains("ghost.noaddr.test"));
    }

    @Test
    void answersAreCachedForTheirTtl() {
        routed(resolve("ttl.test"));
        assertThat(dns.queries("ttl.test", DnsRecordType.MX)).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(59));
        routed(resolve("ttl.test"));
        assertThat(dns.queries("ttl.test", DnsRecordType.MX)).isEqualTo(1);
        assertThat(dns.queries("mx.ttl.test", DnsRecordType.A)).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(2));
        routed(resolve("ttl.test"));
        assertThat(dns.queries("ttl.test", DnsRecordType.MX)).isEqualTo(2);
        assertThat(dns.queries("mx.ttl.test", DnsRecordType.A)).isEqualTo(2);
        assertThat(router.cache().mxCache().synchronous().stats().hitCount()).isEqualTo(1);
    }

    @Test
    void concurrentLookupsOfOneNameShareOneQuery() {
        List<Resolution> all = Flux.range(0, 10).flatMap(i -> router.resolve("slow.test")).collectList()
                .block(Duration.ofSeconds(5));
        assertThat(all).hasSize(10).allSatisfy(r -> assertThat(r).isInstanceOf(Resolution.Routed.class));
        assertThat(dns.queries("slow.test", DnsRecordType.MX)).isEqualTo(1);
        assertThat(dns.queries("mx.slow.test", DnsRecordType.A)).isEqualTo(1);
    }

    @Test
    void staticRoutesBypassDns() {
        router.close();
        router = RelayRouter.create(config(Map.of(
                "routed.test", RouteTarget.parse("127.0.0.1:2526 tls=required verify=true"),
                "local.test", RouteTarget.parse("localhost:2527 tls=disabled"),
                "[192.0.2.99]", RouteTarget.parse("127.0.0.1:2528"))), MX_PORT, ticker);
        int before = dns.totalQueries();

        Resolution.Routed routed = routed(resolve("routed.test"));
        assertThat(routed.site()).isEqualTo("127.0.0.1:2526");
        assertThat(routed.hops()).singleElement().satisfies(hop -> {
            assertThat(hop.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 2526));
            assertThat(hop.tls()).isEqualTo(TlsMode.REQUIRED);
            assertThat(hop.verifyCertificate()).isTrue();
        });
        Resolution.Routed local = routed(resolve("local.test"));
        assertThat(local.site()).isEqualTo("localhost:2527");
        assertThat(local.hops().get(0).address()).isEqualTo(new InetSocketAddress("127.0.0.1", 2527));
        assertThat(local.hops().get(0).tls()).isEqualTo(TlsMode.DISABLED);
        assertThat(routed(resolve("[192.0.2.99]")).site()).isEqualTo("127.0.0.1:2528");

        assertThat(dns.totalQueries()).isEqualTo(before);
    }

    @Test
    void aCatchAllRouteToANamedSmarthostResolvesItsAddress() {
        router.close();
        router = RelayRouter.create(config(Map.of("*", RouteTarget.parse("smarthost.test:587"))), MX_PORT, ticker);
        int before = dns.queries("one.test", DnsRecordType.MX);
        Resolution.Routed routed = routed(resolve("one.test"));
        assertThat(routed.site()).isEqualTo("smarthost.test:587");
        assertThat(routed.hops()).singleElement().satisfies(hop -> {
            assertThat(hop.hostname()).isEqualTo("smarthost.test");
            assertThat(hop.address()).isEqualTo(new InetSocketAddress("192.0.2.80", 587));
        });
        assertThat(dns.queries("one.test", DnsRecordType.MX)).as("no MX lookup through a smarthost").isEqualTo(before);
    }

    @Test
    void domainLiteralsGoToTheirAddress() {
        int before = dns.totalQueries();
        Resolution.Routed v4 = routed(resolve("[192.0.2.7]"));
        assertThat(v4.hops().get(0).address()).isEqualTo(new InetSocketAddress("192.0.2.7", MX_PORT));
        assertThat(v4.site()).isEqualTo("192.0.2.7:" + MX_PORT);
        Resolution.Routed v6 = routed(resolve("[IPv6:2001:db8::7]"));
        assertThat(v6.hops().get(0).address().getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:7");
        assertThat(resolve("[not.an.ip]")).isInstanceOf(Resolution.Undeliverable.class);
        assertThat(dns.totalQueries()).isEqualTo(before);
    }

    @Test
    void domainsWhoseMxShareAConfiguredSuffixShareASite() {
        assertThat(routed(resolve("one.test")).site()).isEqualTo("mailhost.test");
        assertThat(routed(resolve("two.test")).site()).isEqualTo("mailhost.test");
        assertThat(routed(resolve("uk.test")).site()).isEqualTo("provider.co.uk");
    }

    @Test
    void mxPointingAtLoopbackLoopsBackToMyself() {
        assertThat(resolve("loop.test")).isEqualTo(new Resolution.Undeliverable("5.4.6",
                "mail for loop.test loops back to myself"));
        assertThat(resolve("[127.0.0.1]")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.6"));
        assertThat(resolve("[IPv6:::1]")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.6"));
    }

    @Test
    void ourOwnListenAddressAsBestMxLoopsAsBackupMxCutsTheList() throws Exception {
        router.close();
        router = RelayRouter.create(config(Map.of()), MX_PORT, ticker,
                SelfAddresses.of(Set.of(InetAddress.getByName("198.51.100.7"))));
        assertThat(resolve("best.test")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.6"));
        assertThat(resolve("implicit-self.test")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.6"));
        assertThat(resolve("[198.51.100.7]")).isInstanceOfSatisfying(Resolution.Undeliverable.class,
                u -> assertThat(u.status()).isEqualTo("5.4.6"));
        // a backup MX relays only to more preferred hosts, never to its equals or to less preferred ones
        assertThat(addresses(routed(resolve("backup.test")))).containsExactly("192.0.2.90");
        assertThat(addresses(routed(resolve("pref.test")))).as("other domains unaffected").hasSize(3);
    }

    @Test
    void staticRoutesToLoopbackAreNoLoop() {
        router.close();
        router = RelayRouter.create(config(Map.of("loop.test", RouteTarget.parse("127.0.0.1:2526"),
                "[127.0.0.1]", RouteTarget.parse("localhost:2527"))), MX_PORT, ticker);
        assertThat(routed(resolve("loop.test")).hops()).singleElement()
                .satisfies(hop -> assertThat(hop.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 2526)));
        assertThat(routed(resolve("[127.0.0.1]")).hops()).singleElement()
                .satisfies(hop -> assertThat(hop.address().getPort()).isEqualTo(2527));
    }
}
