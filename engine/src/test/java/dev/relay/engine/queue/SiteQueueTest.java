package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The ready queue's lanes and the share of the window it may hold, on a fake clock. */
class SiteQueueTest {
    private long now = 1_000_000_000L;
    private final SiteShaping shaping = new SiteShaping(SiteLimits.defaults().withConnectionLimit(2), null, null,
            List.of(Duration.ofMinutes(1)), List.of(), SiteShaping.Tarpit.DEFAULT);
    private final SiteQueue queue = new SiteQueue("slow.example", new SiteThrottle(shaping, () -> now, k -> { }), now);

    private static SiteQueue.Ready ready(Priority priority, int recipients) {
        List<ClaimedRecipient> rcpts = IntStream.range(0, recipients)
                .mapToObj(i -> new ClaimedRecipient(i, "u" + i + "@slow.example", "slow.example", 0)).toList();
        ClaimedMessage m = new ClaimedMessage(MessageId.newId(), "s@example.org", priority, Instant.EPOCH, 10, false,
                false, rcpts);
        return new SiteQueue.Ready(new DeliveryJob(m, "slow.example", rcpts), List.of());
    }

    private SiteQueue.Step start() {
        return queue.start(job -> shaping, 1, now);
    }

    @Test
    void offerKeepsTheSiteWithinItsShareButAnEmptySiteTakesAnyJob() {
        assertThat(queue.offer(ready(Priority.BULK, 150), 100)).as("nothing held: even a job over the share").isTrue();
        assertThat(queue.holding()).isEqualTo(150);
        assertThat(queue.offer(ready(Priority.TRANSACTIONAL, 1), 100)).isFalse();
        assertThat(queue.holding()).isEqualTo(150);

        SiteQueue.Step step = start();
        assertThat(step).isInstanceOf(SiteQueue.Step.Start.class);
        assertThat(queue.holding()).as("a running delivery still holds its recipients").isEqualTo(150);
        queue.finished(now, 150);
        assertThat(queue.holding()).isZero();

        assertThat(queue.offer(ready(Priority.BULK, 60), 100)).isTrue();
        assertThat(queue.offer(ready(Priority.BULK, 40), 100)).as("up to the share exactly").isTrue();
        assertThat(queue.offer(ready(Priority.TRANSACTIONAL, 1), 100)).isFalse();
        assertThat(queue.holding()).isEqualTo(100);
    }

    @Test
    void drainAndFinishGiveBackWhatTheSiteHeld() {
        queue.add(ready(Priority.BULK, 3));
        queue.add(ready(Priority.TRANSACTIONAL, 2));
        queue.add(ready(Priority.BULK, 4));
        assertThat(queue.holding()).isEqualTo(9);
        SiteQueue.Step first = start();
        assertThat(((SiteQueue.Step.Start) first).ready().job().recipients()).as("transactional first").hasSize(2);
        List<SiteQueue.Ready> drained = new ArrayList<>(queue.drain());
        assertThat(drained).hasSize(2);
        assertThat(queue.holding()).as("only the running delivery").isEqualTo(2);
        queue.finished(now, 2);
        assertThat(queue.holding()).isZero();
        now += Duration.ofSeconds(1).toNanos();
        assertThat(queue.idleSince(now)).isTrue();
    }

    @Test
    void transactionalGoesFirstAndTheConnectionLimitHoldsTheRestBack() {
        SiteQueue.Ready bulk = ready(Priority.BULK, 1);
        SiteQueue.Ready urgent = ready(Priority.TRANSACTIONAL, 1);
        queue.add(bulk);
        queue.add(urgent);
        queue.add(ready(Priority.BULK, 1));
        assertThat(((SiteQueue.Step.Start) start()).ready()).isSameAs(urgent);
        assertThat(((SiteQueue.Step.Start) start()).ready()).isSameAs(bulk);
        assertThat(start()).as("connection limit 2 reached").isInstanceOf(SiteQueue.Step.Idle.class);
        assertThat(queue.active()).isEqualTo(2);
        queue.finished(now, 1);
        assertThat(start()).isInstanceOf(SiteQueue.Step.Start.class);
        assertThat(queue.waiting(Priority.BULK)).isZero();
    }

    @Test
    void oneWakeUpPendingAtATimeAndAnEarlierOneReplacesIt() {
        long t = now + 5_000;
        assertThat(queue.wakeAt(t)).as("none pending").isTrue();
        assertThat(queue.wakeAt(t)).as("one as early is pending").isFalse();
        assertThat(queue.wakeAt(t + 1)).as("a later one adds nothing").isFalse();
        assertThat(queue.wakeAt(t - 1)).as("an earlier one is scheduled").isTrue();
        queue.woke(t);
        assertThat(queue.wakeAt(t)).as("the wake-up at t is not the pending one (t - 1 is)").isFalse();
        queue.woke(t - 1);
        assertThat(queue.wakeAt(t + 10)).as("nothing pending after it fired").isTrue();
    }

    @Test
    void claimsPassOverASiteBetweenHalfItsShareAndOneClaimBelowIt() {
        DeliveryScheduler.Settings half = settings(20_000, 0.5);
        assertThat(half.claimSize()).isEqualTo(5_000);
        assertThat(half.siteCap()).isEqualTo(10_000);
        assertThat(half.siteSkipAbove()).as("one claim more cannot overfill it").isEqualTo(5_000);
        DeliveryScheduler.Settings whole = settings(20_000, 1.0);
        assertThat(whole.siteSkipAbove()).isEqualTo(15_000);
        DeliveryScheduler.Settings small = settings(20_000, 0.1);
        assertThat(small.siteCap()).isEqualTo(2_000);
        assertThat(small.siteSkipAbove()).as("never claimed for again after every delivery").isEqualTo(1_000);
        assertThat(settings(10, 0.05).siteCap()).isEqualTo(1);
        assertThatThrownBy(() -> settings(100, 0)).hasMessageContaining("siteShare");
        assertThatThrownBy(() -> settings(100, 1.5)).hasMessageContaining("siteShare");
    }

    private static DeliveryScheduler.Settings settings(int window, double share) {
        return new DeliveryScheduler.Settings("n", window, share, Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofMinutes(2), Duration.ofMinutes(5));
    }
}
