package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.DnsConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

class CachingResolverTest {
    private static final DnsConfig CONFIG = new DnsConfig(List.of(), Duration.ofSeconds(5), 100,
            Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5));

    /** Hands out futures the test completes by hand, and counts the questions. */
    private static final class ManualLookup implements DnsLookup {
        final AtomicInteger mxQueries = new AtomicInteger();
        final List<CompletableFuture<DnsAnswer<MxRecord>>> pending = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<DnsAnswer<MxRecord>> mx(String domain) {
            mxQueries.incrementAndGet();
            CompletableFuture<DnsAnswer<MxRecord>> future = new CompletableFuture<>();
            pending.add(future);
            return future;
        }

        @Override
        public CompletableFuture<DnsAnswer<InetAddress>> addresses(String host) {
            return CompletableFuture.completedFuture(new DnsAnswer.NoData<>());
        }
    }

    private final ManualLookup lookup = new ManualLookup();
    private final FakeTicker ticker = new FakeTicker();
    private final CachingResolver resolver = new CachingResolver(lookup, CONFIG, ticker);

    private static DnsAnswer<MxRecord> found(long ttlSeconds) {
        return new DnsAnswer.Found<>(List.of(new MxRecord(10, "mx.example")), Duration.ofSeconds(ttlSeconds));
    }

    @Test
    void concurrentLookupsShareOneQueryAndACancelledCallerDoesNotCancelIt() {
        AtomicReference<DnsAnswer<MxRecord>> second = new AtomicReference<>();
        Disposable first = resolver.mx("example.com").subscribe();
        resolver.mx("example.com").subscribe(second::set);
        first.dispose();
        assertThat(lookup.mxQueries).hasValue(1);

        lookup.pending.get(0).complete(found(300));
        assertThat(second.get()).isEqualTo(found(300));
        assertThat(resolver.mx("example.com").block()).isEqualTo(found(300));
        assertThat(lookup.mxQueries).hasValue(1);
    }

    @Test
    void ttlsAreClampedAndNegativeAnswersLiveForTheNegativeTtl() {
        assertThat(CachingResolver.lifetime(found(0), CONFIG)).isEqualTo(Duration.ofSeconds(30));
        assertThat(CachingResolver.lifetime(found(600), CONFIG)).isEqualTo(Duration.ofMinutes(10));
        assertThat(CachingResolver.lifetime(found(86_400), CONFIG)).isEqualTo(Duration.ofHours(1));
        assertThat(CachingResolver.lifetime(new DnsAnswer.NxDomain<>(), CONFIG)).isEqualTo(Duration.ofMinutes(5));
        assertThat(CachingResolver.lifetime(new DnsAnswer.NoData<>(), CONFIG)).isEqualTo(Duration.ofMinutes(5));
        assertThat(CachingResolver.lifetime(new DnsAnswer.Failed<>("x"), CONFIG))
                .isEqualTo(CachingResolver.FAILURE_TTL);
    }

    @Test
    void aMinimumTtlAppliesToShortAnswers() {
        resolveAndAnswer(found(1));
        ticker.advance(Duration.ofSeconds(29));
        resolver.mx("example.com").block();
        assertThat(lookup.mxQueries).hasValue(1);
        ticker.advance(Duration.ofSeconds(2));
        resolver.mx("example.com").subscribe();
        assertThat(lookup.mxQueries).hasValue(2);
    }

    @Test
    void failuresAreRememberedOnlyBriefly() {
        resolveAndAnswer(new DnsAnswer.Failed<>("SERVFAIL"));
        resolver.mx("example.com").block();
        assertThat(lookup.mxQueries).hasValue(1);
        ticker.advance(CachingResolver.FAILURE_TTL.plusMillis(1));
        resolver.mx("example.com").subscribe();
        assertThat(lookup.mxQueries).hasValue(2);
    }

    @Test
    void statsAreRecorded() {
        resolveAndAnswer(found(300));
        resolver.mx("example.com").block();
        assertThat(resolver.mxCache().synchronous().stats().hitCount()).isEqualTo(1);
        assertThat(resolver.mxCache().synchronous().stats().missCount()).isEqualTo(1);
    }

    private void resolveAndAnswer(DnsAnswer<MxRecord> answer) {
        resolver.mx("example.com").subscribe();
        lookup.pending.get(lookup.pending.size() - 1).complete(answer);
    }
}
