package dev.relay.engine.config;

import java.time.Duration;
import java.util.List;

/** {@code delivery.dns}: nameservers (empty: the system's, from /etc/resolv.conf), query timeout, cache bounds. */
public record DnsConfig(List<HostPort> servers, Duration timeout, int cacheSize, Duration minTtl, Duration maxTtl,
                        Duration negativeTtl) {
    public DnsConfig {
        servers = List.copyOf(servers);
        Limits.positive("delivery.dns.timeout", timeout);
        Limits.check("delivery.dns.cache_size", cacheSize, 1, 10_000_000);
        if (minTtl.isNegative()) {
            throw new ConfigException("delivery.dns.min_ttl", minTtl.toString(), "must not be negative");
        }
        if (maxTtl.compareTo(minTtl) < 0) {
            throw new ConfigException("delivery.dns.max_ttl", maxTtl.toString(), "must not be below min_ttl " + minTtl);
        }
        Limits.positive("delivery.dns.negative_ttl", negativeTtl);
    }

    public static DnsConfig defaults() {
        return new DnsConfig(List.of(), Duration.ofSeconds(5), 100_000, Duration.ofSeconds(30), Duration.ofDays(1),
                Duration.ofMinutes(5));
    }
}
