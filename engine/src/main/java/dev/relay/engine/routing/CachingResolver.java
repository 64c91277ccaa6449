package dev.relay.engine.routing;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.relay.engine.config.DnsConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * MX and address answers cached by TTL in Caffeine, one cache each, each bounded by {@code delivery.dns.cache_size}.
 * Positive answers live for their TTL clamped to [min_ttl, max_ttl]; NXDOMAIN and NODATA (which includes null MX,
 * a positive answer the router turns into a bounce) for negative_ttl; failures for {@link #FAILURE_TTL}.
 *
 * <p>Concurrent lookups of one name share one query: Caffeine keeps the in-flight future in the cache and hands it
 * to every caller. Callers subscribe without the power to cancel it, since the query is shared.
 */
public final class CachingResolver {
    /**
     * Failures are cached briefly, not for negative_ttl: a SERVFAIL comes back in microseconds, and without this
     * every message waiting for the same domain would ask again at once; a recovered server is still seen by the next
     * retry, which the queue schedules minutes later.
     */
    public static final Duration FAILURE_TTL = Duration.ofSeconds(2);

    private final DnsLookup lookup;
    private final AsyncCache<String, DnsAnswer<MxRecord>> mx;
    private final AsyncCache<String, DnsAnswer<InetAddress>> addresses;

    /** @param ticker Caffeine's clock; {@link Ticker#systemTicker()} in production, a fake one in TTL tests */
    public CachingResolver(DnsLookup lookup, DnsConfig config, Ticker ticker) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.mx = cache(config, ticker);
        this.addresses = cache(config, ticker);
    }

    private static <T> AsyncCache<String, DnsAnswer<T>> cache(DnsConfig config, Ticker ticker) {
        Expiry<String, DnsAnswer<T>> expiry = Expiry.creating((name, answer) -> lifetime(answer, config));
        return Caffeine.newBuilder()
                .maximumSize(config.cacheSize())
                .expireAfter(expiry)
                .ticker(ticker)
                .recordStats()
                .buildAsync();
    }

    static Duration lifetime(DnsAnswer<?> answer, DnsConfig config) {
        if (answer instanceof DnsAnswer.Found<?> found) {
            Duration ttl = found.ttl();
            return ttl.compareTo(config.minTtl()) < 0 ? config.minTtl()
                    : ttl.compareTo(config.maxTtl()) > 0 ? config.maxTtl() : ttl;
        }
        if (answer instanceof DnsAnswer.Failed<?>) {
            return FAILURE_TTL;
        }
        return config.negativeTtl();
    }

    /** MX records of {@code domain} (ASCII, lower case), as published: not sorted. */
    public Mono<DnsAnswer<MxRecord>> mx(String domain) {
        return cached(mx, domain, lookup::mx);
    }

    /** A then AAAA addresses of {@code host} (ASCII, lower case). */
    public Mono<DnsAnswer<InetAddress>> addresses(String host) {
        return cached(addresses, host, lookup::addresses);
    }

    private static <T> Mono<DnsAnswer<T>> cached(AsyncCache<String, DnsAnswer<T>> cache, String name,
            Function<String, CompletableFuture<DnsAnswer<T>>> query) {
        // suppressCancel: a cancelled subscriber must not cancel the future that other callers share
        return Mono.fromFuture(() -> cache.get(name, (key, executor) -> query.apply(key)), true);
    }

    /** The MX cache, for metrics (Micrometer's CaffeineCacheMetrics) and diagnostics. */
    public AsyncCache<String, DnsAnswer<MxRecord>> mxCache() {
        return mx;
    }

    /** The A/AAAA cache, for metrics and diagnostics. */
    public AsyncCache<String, DnsAnswer<InetAddress>> addressCache() {
        return addresses;
    }
}
