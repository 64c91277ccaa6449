package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {
    private final Object first = new Object();
    private final Object second = new Object();
    private final Object third = new Object();

    @Test
    void withinTheLimitEveryoneReads() {
        ByteBudget budget = new ByteBudget(100);
        assertThat(budget.add(60, first)).isTrue();
        assertThat(budget.add(40, second)).isTrue();
        assertThat(budget.used()).isEqualTo(100);
    }

    @Test
    void pastTheLimitOnlyTheOverdraftHolderKeepsReading() {
        ByteBudget budget = new ByteBudget(100);
        budget.add(90, first);
        assertThat(budget.add(20, second)).as("second takes the overdraft").isTrue();
        assertThat(budget.add(20, second)).as("and keeps it").isTrue();
        assertThat(budget.add(20, third)).as("third must pause").isFalse();
        AtomicInteger woken = new AtomicInteger();
        budget.awaitRoom(woken::incrementAndGet);
        assertThat(woken).hasValue(0);
        budget.release(40, second);
        assertThat(woken).as("overdraft free again").hasValue(1);
        assertThat(budget.used()).isEqualTo(110);
    }

    @Test
    void releasingBelowTheLimitWakesEveryWaiter() {
        ByteBudget budget = new ByteBudget(100);
        budget.add(150, first);
        assertThat(budget.add(10, second)).isFalse();
        assertThat(budget.add(10, third)).isFalse();
        AtomicInteger woken = new AtomicInteger();
        budget.awaitRoom(woken::incrementAndGet);
        budget.awaitRoom(woken::incrementAndGet);
        budget.release(150, first);
        assertThat(woken).hasValue(2);
        assertThat(budget.used()).isEqualTo(20);
    }

    @Test
    void awaitingWhenThereIsRoomRunsAtOnce() {
        ByteBudget budget = new ByteBudget(100);
        AtomicInteger woken = new AtomicInteger();
        budget.awaitRoom(woken::incrementAndGet);
        assertThat(woken).hasValue(1);
    }
}
