package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Fencing decisions on fake time: stale period 20 s, heartbeats every 5 s. */
class NodeLeaseTest {
    private static final long S = 1_000_000_000L;
    private final long t0 = 123_456_789L; // nanoTime has an arbitrary origin
    private final NodeLease lease = started();

    /** The first beat after the start (which returned every earlier claim) only starts the count. */
    private NodeLease started() {
        NodeLease l = new NodeLease(Duration.ofSeconds(20), t0 - S);
        assertThat(l.beat(t0, t0, Duration.ofDays(3))).isEqualTo(NodeLease.Beat.STEADY);
        return l;
    }

    @Test
    void steadyHeartbeatsKeepStartingDeliveries() {
        for (int i = 1; i <= 10; i++) {
            assertThat(lease.beat(t0 + i * 5 * S, t0 + i * 5 * S + S / 100, null)).isEqualTo(NodeLease.Beat.STEADY);
            assertThat(lease.mayStart(t0 + i * 5 * S + 4 * S)).isTrue();
        }
    }

    @Test
    void noStartOnceHalfTheStalePeriodPassedWithoutAHeartbeat() {
        assertThat(lease.mayStart(t0 + 10 * S - 1)).isTrue();
        assertThat(lease.mayStart(t0 + 10 * S)).isFalse();
        assertThat(lease.mayStart(t0 + 19 * S)).isFalse();
    }

    @Test
    void aHeartbeatWithinTheStalePeriodResumesWithTheClaimsKept() {
        assertThat(lease.beat(t0 + 12 * S, t0 + 12 * S + S / 10, null)).isEqualTo(NodeLease.Beat.RESUMED);
        assertThat(lease.mayStart(t0 + 13 * S)).isTrue();
    }

    @Test
    void aGapOfTheStalePeriodMeansTheClaimsMayBeGone() {
        assertThat(lease.beat(t0 + 20 * S, t0 + 20 * S, null)).isEqualTo(NodeLease.Beat.LOST);
    }

    @Test
    void aBeatSentInTimeButAnsweredAfterTheStalePeriodCountsAsLost() {
        // sent 5 s after the last one, stuck in a stalled connection, written 35 s later: the database's gap may be 40 s
        assertThat(lease.beat(t0 + 5 * S, t0 + 40 * S, null)).isEqualTo(NodeLease.Beat.LOST);
    }

    @Test
    void theDatabasesGapDecidesWhetherTheClaimsMayBeGone() {
        // the previous beat sat in a stalled connection and was written late: the database saw the beats 1 s apart
        assertThat(lease.beat(t0 + 30 * S, t0 + 30 * S, Duration.ofSeconds(1))).isEqualTo(NodeLease.Beat.RESUMED);
        // a beat answered promptly whose predecessor the database stamped 25 s earlier
        assertThat(lease.beat(t0 + 31 * S, t0 + 31 * S, Duration.ofSeconds(25))).isEqualTo(NodeLease.Beat.LOST);
    }

    @Test
    void aLateAnswerToAnOlderBeatDecidesNothing() {
        lease.beat(t0 + 10 * S, t0 + 10 * S, null);
        assertThat(lease.beat(t0 + 5 * S, t0 + 60 * S, null)).isEqualTo(NodeLease.Beat.STEADY);
        assertThat(lease.mayStart(t0 + 19 * S)).isTrue();
    }
}
