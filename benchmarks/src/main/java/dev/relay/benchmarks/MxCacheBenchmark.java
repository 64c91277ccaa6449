package dev.relay.benchmarks;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.relay.engine.config.DnsConfig;
import dev.relay.engine.routing.CachingResolver;
import dev.relay.engine.routing.DnsAnswer;
import dev.relay.engine.routing.DnsLookup;
import dev.relay.engine.routing.MxRecord;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * MX cache hits among 10,000 cached domains, in random order: through {@link CachingResolver#mx} as the router
 * calls it (Caffeine's AsyncCache, then a Mono over the completed future, subscribed; a hit completes on the
 * caller's thread), Caffeine alone ({@code getIfPresent} on the same cache), and a plain
 * {@link ConcurrentHashMap} lookup as the baseline. One op = one lookup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MxCacheBenchmark {
    private static final int DOMAINS = 10_000;
    private static final int ORDER = 1 << 16;

    private String[] order;
    private CachingResolver resolver;
    private ConcurrentHashMap<String, DnsAnswer<MxRecord>> map;

    /** Each thread walks its own random sequence of domains. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        DnsAnswer<MxRecord> answer;

        @Setup(Level.Trial)
        public void setUp() {
            next = new SplittableRandom().nextInt(ORDER);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] domains = new String[DOMAINS];
        for (int i = 0; i < DOMAINS; i++) {
            domains[i] = "domain-" + i + ".example.com";
        }
        SplittableRandom random = new SplittableRandom(42);
        order = new String[ORDER];
        for (int i = 0; i < ORDER; i++) {
            order[i] = domains[random.nextInt(DOMAINS)];
        }
        // Answers with a day's TTL, so nothing expires during the run: every lookup below is a hit.
        DnsLookup lookup = new DnsLookup() {
            @Override
            public CompletableFuture<DnsAnswer<MxRecord>> mx(String domain) {
                return CompletableFuture.completedFuture(new DnsAnswer.Found<>(
                        List.of(new MxRecord(10, "mx1." + domain), new MxRecord(20, "mx2." + domain)),
                        Duration.ofDays(1)));
            }

            @Override
            public CompletableFuture<DnsAnswer<InetAddress>> addresses(String host) {
                throw new UnsupportedOperationException("only MX is benchmarked");
            }
        };
        resolver = new CachingResolver(lookup, DnsConfig.defaults(), Ticker.systemTicker());
        map = new ConcurrentHashMap<>();
        for (String domain : domains) {
            DnsAnswer<MxRecord> answer = resolver.mx(domain).block();
            map.put(domain, answer);
        }
        if (resolver.mxCache().synchronous().estimatedSize() != DOMAINS) {
            throw new IllegalStateException("cache holds " + resolver.mxCache().synchronous().estimatedSize());
        }
    }

    private String next(Cursor cursor) {
        return order[cursor.next++ & (ORDER - 1)];
    }

    /** Subscribed like the router's flatMap does; on a hit the answer arrives on this thread before return. */
    @Benchmark
    public DnsAnswer<MxRecord> resolverMx(Cursor cursor) {
        cursor.answer = null;
        resolver.mx(next(cursor)).subscribe(answer -> cursor.answer = answer);
        return cursor.answer;
    }

    @Benchmark
    public Object caffeineGetIfPresent(Cursor cursor) {
        return resolver.mxCache().getIfPresent(next(cursor));
    }

    @Benchmark
    public DnsAnswer<MxRecord> concurrentHashMap(Cursor cursor) {
        return map.get(next(cursor));
    }
}
