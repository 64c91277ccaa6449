package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which idle connection is reused, trimmed or expired, and that its idle timer stops with it. */
class IdleConnectionsTest {
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final IdleConnections<String> idle = new IdleConnections<>();

    private ScheduledFuture<?> timer() {
        return loop.eventLoop().schedule(() -> { }, 1, TimeUnit.MINUTES);
    }

    @Test
    void reuseTakesTheMostRecentSoTheOthersCanExpire() {
        ScheduledFuture<?> a = timer();
        ScheduledFuture<?> b = timer();
        idle.add("a", a);
        idle.add("b", b);

        assertThat(idle.takeNewest()).isEqualTo("b");
        assertThat(b.isCancelled()).isTrue();
        assertThat(a.isCancelled()).isFalse();
        assertThat(idle.size()).isEqualTo(1);
    }

    @Test
    void trimmingTakesTheLeastRecentlyUsed() {
        ScheduledFuture<?> a = timer();
        idle.add("a", a);
        idle.add("b", timer());

        assertThat(idle.takeOldest()).isEqualTo("a");
        assertThat(a.isCancelled()).isTrue();
        assertThat(idle.takeOldest()).isEqualTo("b");
        assertThat(idle.isEmpty()).isTrue();
        assertThat(idle.takeOldest()).isNull();
        assertThat(idle.takeNewest()).isNull();
    }

    @Test
    void expiryRemovesOnlyThatConnectionAndOnlyOnce() {
        ScheduledFuture<?> a = timer();
        ScheduledFuture<?> b = timer();
        idle.add("a", a);
        idle.add("b", b);

        assertThat(idle.remove("a")).isTrue();
        assertThat(a.isCancelled()).isTrue();
        assertThat(b.isCancelled()).isFalse();
        // the timer and a close by the peer may both report it: the second finds nothing
        assertThat(idle.remove("a")).isFalse();
        assertThat(idle.size()).isEqualTo(1);
    }

    @Test
    void drainingTakesEveryConnectionAndStopsEveryTimer() {
        ScheduledFuture<?> a = timer();
        ScheduledFuture<?> b = timer();
        idle.add("a", a);
        idle.add("b", b);

        assertThat(idle.drain()).containsExactly("a", "b");
        assertThat(a.isCancelled()).isTrue();
        assertThat(b.isCancelled()).isTrue();
        assertThat(idle.isEmpty()).isTrue();
    }
}
