package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/** The node statements' argument checks and the heartbeat's row folding, without a database. */
class PgNodesTest {
    private final AtomicInteger connections = new AtomicInteger();
    private final PgNodes nodes = new PgNodes(new Statements(new ConnectionFactory() {
        @Override
        public Publisher<? extends Connection> create() {
            connections.incrementAndGet();
            return Mono.error(new IllegalStateException("no database in a unit test"));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "fake";
        }
    }, "delivery store"));

    @Test
    void heartbeatFoldsReleasedNodesAndThePreviousBeatsAge() {
        DeliveryStore.Heartbeat beat = PgNodes.heartbeatOf(List.of(
                new PgNodes.HeartbeatRow("b", 3L),
                new PgNodes.HeartbeatRow(null, 1500L),
                new PgNodes.HeartbeatRow("a", 1L)));

        assertThat(beat.sincePrevious()).isEqualTo(Duration.ofMillis(1500));
        assertThat(beat.takenOver()).isEqualTo(Map.of("a", 1L, "b", 3L));
    }

    @Test
    void firstHeartbeatHasNoPreviousBeatAndReleasesNothing() {
        DeliveryStore.Heartbeat beat = PgNodes.heartbeatOf(List.of(new PgNodes.HeartbeatRow(null, null)));

        assertThat(beat.sincePrevious()).isNull();
        assertThat(beat.takenOver()).isEmpty();
    }

    @Test
    void aReleasedNodeRowWithoutACountIsABug() {
        assertThatThrownBy(() -> PgNodes.heartbeatOf(List.of(new PgNodes.HeartbeatRow("a", null))))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void everyNodeStatementRefusesABadNameBeforeTouchingThePool() {
        for (String bad : new String[] {"", "a\0b"}) {
            assertThatThrownBy(() -> nodes.releaseClaims(bad)).hasMessageContaining("node");
            assertThatThrownBy(() -> nodes.heartbeat(bad, Duration.ofSeconds(1))).hasMessageContaining("node");
            assertThatThrownBy(() -> nodes.lastBeat(bad)).hasMessageContaining("node");
            assertThatThrownBy(() -> nodes.leave(bad)).hasMessageContaining("node");
            assertThatThrownBy(() -> nodes.releaseMessage(bad, MessageId.newId())).hasMessageContaining("node");
        }
        assertThatThrownBy(() -> nodes.releaseClaims(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> nodes.releaseMessage("n", null)).hasMessageContaining("id");
        assertThat(connections).hasValue(0);
    }

    @Test
    void heartbeatRefusesANonPositiveStaleness() {
        assertThatThrownBy(() -> nodes.heartbeat("n", Duration.ZERO)).hasMessageContaining("staleAfter");
        assertThatThrownBy(() -> nodes.heartbeat("n", Duration.ofMillis(-1))).hasMessageContaining("staleAfter");
        assertThat(connections).hasValue(0);
    }
}
