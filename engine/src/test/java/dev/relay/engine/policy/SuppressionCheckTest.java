package dev.relay.engine.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.SuppressionConfig;
import dev.relay.storage.SuppressionRecords.Reason;
import dev.relay.storage.SuppressionRecords.Suppression;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The RCPT cache in front of the suppression list, on a fake clock. */
class SuppressionCheckTest {
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicReference<Suppression> listed = new AtomicReference<>();
    private final SuppressionCheck check = new SuppressionCheck(
            (scope, address) -> Mono.justOrEmpty(listed.get()), SuppressionConfig.defaults(), nanos::get);

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void aChangeMadeElsewhereIsSeenOnceTheTtlHasPassed() {
        assertThat(check.check("shop", "a@d.test").block(WAIT)).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        // added on another node: this node's cache does not know yet...
        listed.set(new Suppression("*", "a@d.test", Reason.MANUAL, null, null, Instant.EPOCH, null, "op"));
        nanos.addAndGet(SuppressionConfig.DEFAULT_CACHE_TTL.minusMillis(1).toNanos());
        assertThat(check.cached("shop", "A@d.test")).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        // ...and asks again once cache_ttl has passed
        nanos.addAndGet(Duration.ofMillis(2).toNanos());
        assertThat(check.cached("shop", "a@d.test")).isNull();
        assertThat(check.check("shop", "a@d.test").block(WAIT))
                .isInstanceOf(SuppressionCheck.Verdict.Suppressed.class);
    }

    @Test
    void invalidateForgetsAnAddressForEverySender() {
        check.check("shop", "a@d.test").block(WAIT);
        check.check("news", "a@d.test").block(WAIT);
        check.check("shop", "b@d.test").block(WAIT);
        check.invalidate("A@d.test");
        assertThat(check.cached("shop", "a@d.test")).isNull();
        assertThat(check.cached("news", "a@d.test")).isNull();
        assertThat(check.cached("shop", "b@d.test")).isNotNull();
    }

    private final AtomicLong queries = new AtomicLong();
    private final SuppressionFilter filter = new SuppressionFilter(SuppressionConfig.DEFAULT_CACHE_TTL, nanos::get,
            1000);
    private final SuppressionCheck filtered = new SuppressionCheck((scope, address) -> Mono.defer(() -> {
        queries.incrementAndGet();
        return Mono.justOrEmpty(listed.get());
    }), r -> Mono.empty(), SuppressionConfig.defaults(), nanos::get, filter);

    private void load(String... addresses) {
        SuppressionFilter.Rebuild r = filter.rebuild(addresses.length);
        for (String a : addresses) {
            r.put(a);
        }
        r.complete(nanos.get());
    }

    @Test
    void aReadyFreshFilterClearsAnUnlistedAddressWithoutAQueryNorACacheEntry() {
        load("dead@d.test");
        assertThat(filtered.cached("shop", "New@D.test")).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        assertThat(filtered.check("shop", "new@d.test").block(WAIT)).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        assertThat(queries).hasValue(0);
        assertThat(filtered.filterClears()).isEqualTo(2);
        // a listed address goes to the database, whose answer is cached as before
        listed.set(new Suppression("*", "dead@d.test", Reason.MANUAL, null, null, Instant.EPOCH, null, "op"));
        assertThat(filtered.cached("shop", "dead@d.test")).isNull();
        assertThat(filtered.check("shop", "dead@d.test").block(WAIT))
                .isInstanceOf(SuppressionCheck.Verdict.Suppressed.class);
        assertThat(queries).hasValue(1);
        assertThat(filtered.cached("shop", "dead@d.test")).isInstanceOf(SuppressionCheck.Verdict.Suppressed.class);
        assertThat(filtered.cacheHits()).isEqualTo(1);
        assertThat(filtered.queries()).isEqualTo(1);
    }

    @Test
    void notLoadedOrStaleTheDatabaseIsAsked() {
        // not loaded yet: as without a filter
        assertThat(filtered.cached("shop", "a@d.test")).isNull();
        filtered.check("shop", "a@d.test").block(WAIT);
        assertThat(queries).hasValue(1);
        load();
        nanos.addAndGet(SuppressionConfig.DEFAULT_CACHE_TTL.plusMillis(1).toNanos()); // no refresh for a TTL
        assertThat(filtered.cached("shop", "b@d.test")).isNull();
        filtered.check("shop", "b@d.test").block(WAIT);
        assertThat(queries).hasValue(2);
        assertThat(filtered.filterClears()).isZero();
        filter.refreshed(nanos.get());
        assertThat(filtered.cached("shop", "c@d.test")).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
    }

    @Test
    void anAddressListedThroughThisNodeIsNeverClearedByTheFilter() {
        load();
        assertThat(filtered.cached("shop", "x@d.test")).isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        listed.set(new Suppression("shop", "x@d.test", Reason.UNSUBSCRIBE, null, null, Instant.EPOCH, null, "op"));
        filtered.invalidate("X@d.test"); // what the admin API and the bounce paths call after their addition
        assertThat(filtered.cached("shop", "x@d.test")).isNull();
        assertThat(filtered.check("shop", "x@d.test").block(WAIT))
                .isInstanceOf(SuppressionCheck.Verdict.Suppressed.class);
        // also across a rebuild that began before the addition and did not read it
        SuppressionFilter.Rebuild r = filter.rebuild(0);
        filtered.invalidate("y@d.test");
        r.complete(nanos.get());
        assertThat(filtered.cached("shop", "y@d.test")).isNull();
    }

    @Test
    void noneAnswersAtOnceAndHoldsNothing() {
        assertThat(SuppressionCheck.NONE.cached("shop", "a@d.test"))
                .isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        SuppressionCheck.NONE.invalidate("a@d.test");
    }
}
