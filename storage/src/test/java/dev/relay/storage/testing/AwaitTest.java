package dev.relay.storage.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.awaitTrue(Duration.ofSeconds(10), () -> polls.incrementAndGet() == 3);
        assertThat(polls).hasValue(3);
    }

    @Test
    void failsNamingWhatAndTheLimitWhenTheConditionNeverHolds() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> Await.awaitTrue("queue empty", Duration.ofMillis(100), () -> false))
                .isInstanceOf(AssertionError.class).hasMessage("queue empty not met within PT0.1S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void untilTellsWhetherTheConditionHeldWithinTheLimit() {
        AtomicInteger polls = new AtomicInteger();
        assertThat(Await.until(Duration.ofSeconds(10), () -> polls.incrementAndGet() == 2)).isTrue();
        assertThat(Await.until(Duration.ofMillis(50), () -> false)).isFalse();
    }

    @Test
    void awaitValueReturnsTheFirstValueThatIsDoneOrTheLastOneSeen() {
        AtomicInteger n = new AtomicInteger();
        assertThat(Await.awaitValue(Duration.ofSeconds(10), n::incrementAndGet, v -> v >= 4)).isEqualTo(4);
        AtomicInteger m = new AtomicInteger();
        int last = Await.awaitValue(Duration.ofMillis(100), m::incrementAndGet, v -> false);
        assertThat(last).isEqualTo(m.get()).isGreaterThan(1);
    }
}
