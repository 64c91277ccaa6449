package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The bound on recipients in memory, and the signal a stop waits on. */
class WindowTest {
    private final Window window = new Window(10);

    @Test
    void tryReserveTakesAllOrNothing() {
        assertThat(window.tryReserve(7)).isTrue();
        assertThat(window.tryReserve(4)).as("4 more than fit").isFalse();
        assertThat(window.used()).isEqualTo(7);
        assertThat(window.tryReserve(3)).as("exactly up to the capacity").isTrue();
        assertThat(window.used()).isEqualTo(10);
    }

    @Test
    void reserveUpToTakesWhatFits() {
        assertThat(window.reserveUpTo(4)).isEqualTo(4);
        assertThat(window.reserveUpTo(20)).isEqualTo(6);
        assertThat(window.reserveUpTo(1)).as("full").isZero();
        window.release(3);
        assertThat(window.reserveUpTo(5)).isEqualTo(3);
    }

    @Test
    void releasingMoreThanReservedIsABug() {
        window.tryReserve(2);
        assertThatThrownBy(() -> window.release(3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("released more than reserved");
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThatThrownBy(() -> new Window(0)).hasMessage("capacity must be >= 1, was 0");
    }

    @Test
    void whenEmptyCompletesAtOnceWhenNothingIsHeld() {
        AtomicBoolean done = new AtomicBoolean();
        window.whenEmpty().subscribe(null, null, () -> done.set(true));
        assertThat(done).isTrue();
    }

    @Test
    void whenEmptyCompletesWithTheReleaseThatEmptiesTheWindow() {
        window.tryReserve(5);
        AtomicBoolean first = new AtomicBoolean();
        AtomicBoolean second = new AtomicBoolean();
        window.whenEmpty().subscribe(null, null, () -> first.set(true));
        window.whenEmpty().subscribe(null, null, () -> second.set(true));
        window.release(4);
        assertThat(first).as("one recipient still held").isFalse();
        window.release(1);
        assertThat(first).isTrue();
        assertThat(second).isTrue();
    }

    @Test
    void aWaiterFromBeforeAnEmptyingIsNotToldAgainLater() {
        window.tryReserve(1);
        AtomicBoolean done = new AtomicBoolean();
        window.whenEmpty().subscribe(null, null, () -> done.set(true));
        window.release(1);
        window.tryReserve(2);
        AtomicBoolean later = new AtomicBoolean();
        window.whenEmpty().subscribe(null, null, () -> later.set(true));
        assertThat(done).isTrue();
        assertThat(later).as("held again: waits for the next emptying").isFalse();
        window.release(2);
        assertThat(later).isTrue();
    }
}
