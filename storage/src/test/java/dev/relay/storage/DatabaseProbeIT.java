package dev.relay.storage;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.CuttableProxy;
import dev.relay.storage.testing.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The readiness probe's contract on the real PostgreSQL: up, refused, hung, and never a leaked connection. */
class DatabaseProbeIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    private static TestDatabase db;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("probe");
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void reachableWhenTheDatabaseAnswers() {
        ConnectionPool pool = db.pool(1);
        DatabaseProbe probe = new DatabaseProbe(pool);
        StepVerifier.create(probe.reachable()).expectNext(true).expectComplete().verify(WAIT);
        // twice on a pool of one: the first probe gave its connection back
        StepVerifier.create(probe.reachable()).expectNext(true).expectComplete().verify(WAIT);
        assertThat(acquired(pool)).isZero();
    }

    @Test
    void notReachableWhenTheDatabaseRefuses() throws Exception {
        try (CuttableProxy proxy = CuttableProxy.inFrontOf(db.url())) {
            ConnectionPool pool = Database.pool(proxy.rewrite(db.url()), 1);
            try {
                DatabaseProbe probe = new DatabaseProbe(pool, PROBE_TIMEOUT);
                StepVerifier.create(probe.reachable()).expectNext(true).expectComplete().verify(WAIT);
                proxy.cut();
                StepVerifier.create(probe.reachable()).expectNext(false).expectComplete().verify(WAIT);
                proxy.restore();
                awaitTrue("reachable again", WAIT, () -> probe.reachable().block(WAIT));
            } finally {
                pool.dispose();
            }
        }
    }

    @Test
    void notReachableWithinItsTimeoutWhenTheDatabaseHangsAndGivesTheConnectionBack() throws Exception {
        try (CuttableProxy proxy = CuttableProxy.inFrontOf(db.url())) {
            ConnectionPool pool = Database.pool(proxy.rewrite(db.url()), 1);
            try {
                DatabaseProbe probe = new DatabaseProbe(pool, PROBE_TIMEOUT);
                StepVerifier.create(probe.reachable()).expectNext(true).expectComplete().verify(WAIT);
                proxy.stall(); // the pooled connection stays open, SELECT 1 gets no answer
                Duration took = StepVerifier.create(probe.reachable()).expectNext(false).expectComplete()
                        .verify(WAIT);
                assertThat(took).isLessThan(PROBE_TIMEOUT.plusSeconds(2));
                // a probe given up on must not keep its connection: a pool of one would be lost for good
                awaitTrue("connection back in the pool", WAIT, () -> acquired(pool) == 0);
                // not restored: the late answer to the abandoned SELECT 1 reaches a cancelled conversation, and with
                // r2dbc-postgresql 1.0.7 Netty then reports its DataRow as never released (a driver matter, not
                // the probe's); the refused case above covers the recovery
            } finally {
                pool.dispose();
            }
        }
    }

    private static int acquired(ConnectionPool pool) {
        return pool.getMetrics().map(PoolMetrics::acquiredSize).orElseThrow();
    }
}
