package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.DeliveryOutcome;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** The heartbeat loop on virtual time: heartbeat every 5 s, stale after 20 s (the decisions: NodeLeaseTest). */
class NodeHeartbeatTest {
    private final FakeTime time = new FakeTime();
    private final FakeDeliveryStore store = new FakeDeliveryStore();
    private final Window window = new Window(10);
    private final AtomicInteger drops = new AtomicInteger();
    private final AtomicInteger resumes = new AtomicInteger();
    private final AtomicLong takenOver = new AtomicLong();
    private final DeliveryObserver observer = new DeliveryObserver() {
        @Override
        public void attempted(String site, List<DeliveryOutcome> outcomes, Duration took) {
        }

        @Override
        public void expired(int recipients) {
        }

        @Override
        public void claimsTakenOver(long recipients) {
            takenOver.addAndGet(recipients);
        }
    };
    private final NodeHeartbeat heartbeat = new NodeHeartbeat(Jobs.settings(10, 1.0), store, observer, time.time,
            time.timers, window, () -> false, () -> {
                drops.incrementAndGet();
                return 0;
            }, resumes::incrementAndGet);
    private Disposable loop;

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.dispose();
        }
    }

    private void start() {
        loop = heartbeat.started();
        time.runDue();
    }

    @Test
    void steadyBeatsKeepStartingAndCountLiveNodesAndTakeovers() {
        store.liveNodes = 3;
        store.takenOver = Map.of("old-node", 7L);
        start();
        assertThat(heartbeat.liveNodes()).isEqualTo(3);
        assertThat(takenOver).hasValue(7);
        store.takenOver = Map.of();
        store.liveNodes = 0;
        time.advance(Duration.ofSeconds(60));
        assertThat(heartbeat.mayStart()).isTrue();
        assertThat(heartbeat.liveNodes()).as("floor 1").isEqualTo(1);
        assertThat(resumes).hasValue(0);
    }

    @Test
    void failingBeatsStopStartsAfterHalfTheStalePeriodAndASuccessResumes() {
        start();
        for (int i = 0; i < 2; i++) { // the beats at 5 s and 10 s
            store.heartbeatFailures.add(new IOException("database away"));
        }
        time.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(heartbeat.mayStart()).isTrue();
        time.advance(Duration.ofNanos(1));
        assertThat(heartbeat.mayStart()).as("10 s since the last beat that got through").isFalse();
        time.advance(Duration.ofSeconds(5));
        assertThat(heartbeat.mayStart()).as("the beat at 15 s succeeded").isTrue();
        assertThat(resumes).hasValue(1);
        assertThat(drops).hasValue(0);
    }

    @Test
    void aLostLeaseDropsWhatWaitsAndReturnsTheClaimsOnceRunningDeliveriesAreWrittenBack() {
        start();
        window.tryReserve(2); // a delivery running
        store.sincePrevious = Duration.ofSeconds(25); // the database saw a gap of more than the stale period
        time.advance(Duration.ofSeconds(5));
        assertThat(drops).hasValue(1);
        assertThat(heartbeat.mayStart()).isFalse();
        store.sincePrevious = Duration.ofSeconds(5);
        time.advance(Duration.ofSeconds(5));
        assertThat(store.releaseClaimsCalls).as("still running").isZero();
        assertThat(heartbeat.mayStart()).isFalse();
        window.release(2);
        time.advance(Duration.ofSeconds(5));
        assertThat(store.releaseClaimsCalls).isEqualTo(1);
        assertThat(heartbeat.mayStart()).isTrue();
        assertThat(resumes).hasValue(1);
        assertThat(drops).as("dropped once").hasValue(1);
    }
}
