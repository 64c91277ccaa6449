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

    @Test
    void noneAnswersAtOnceAndHoldsNothing() {
        assertThat(SuppressionCheck.NONE.cached("shop", "a@d.test"))
                .isInstanceOf(SuppressionCheck.Verdict.Clear.class);
        SuppressionCheck.NONE.invalidate("a@d.test");
    }
}
