package dev.relay.engine.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.RelayProcess;
import dev.relay.engine.testing.TestMx;
import dev.relay.storage.Database;
import dev.relay.storage.EmbeddedPostgres;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.Await;
import dev.relay.storage.testing.ScratchDirectories;
import io.r2dbc.pool.ConnectionPool;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The relay runs as a child process with the embedded default (no database URL: it starts its own PostgreSQL
 * under its data directory), accepts load and delivers it to a {@link TestMx} in this JVM, and is killed with
 * SIGKILL at random moments, then restarted. Afterwards a last run drains the queue: every message that got a 250
 * must have arrived at the MX (a message in flight at a kill may arrive twice; none may be missing), and the spool
 * must end empty.
 */
class CrashIT {
    @Test
    void everyAcknowledgedMessageIsDeliveredDespiteSigkill() throws Exception {
        Path directory = ScratchDirectories.directory("crash-" + UUID.randomUUID());
        Files.createDirectories(directory);
        int smtpPort = RelayProcess.freePort();
        Path config = directory.resolve("relay.yaml");
        InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
        Random random = new Random(42);
        Set<String> acknowledged = new HashSet<>();
        try (TestMx mx = TestMx.builder()
                // slow final replies keep deliveries in flight when the kill comes
                .script(step -> step.is("DATA_END") && step.attempt() % 7 == 0
                        ? TestMx.Action.delayed(Duration.ofMillis(300), null) : null)
                .start()) {
            Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                    + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n  hostname: crash.test\n  shutdown_grace: 5s\n"
                    + "http:\n  listen: 127.0.0.1:" + RelayProcess.freePort() + "\n"
                    + "delivery:\n  node_name: crash-node\n  poll_interval: 200ms\n"
                    + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                    + "  retry: {schedule: [1s], jitter: 0}\n");
            for (int round = 0; round < 3; round++) {
                Process relay = RelayProcess.start(config, directory.resolve("relay-" + round + ".log"), smtp, 90);
                try {
                    MessageLoad load = new MessageLoad(smtp, "crash" + round);
                    Thread[] threads = load.start(8, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                    Thread.sleep(1500 + random.nextInt(1500));
                    relay.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no drain
                    relay.waitFor(10, TimeUnit.SECONDS);
                    load.stop();
                    MessageLoad.join(threads);
                    assertThat(load.acknowledged()).as("round %d accepted something", round).isNotEmpty();
                    acknowledged.addAll(load.acknowledged());
                } finally {
                    relay.destroyForcibly();
                }
            }
            Set<String> delivered = new HashSet<>();
            Process relay = RelayProcess.start(config, directory.resolve("relay-final.log"), smtp, 90);
            try {
                Await.until(Duration.ofSeconds(120), () -> {
                    delivered.clear();
                    for (TestMx.Transaction tx : mx.transactions()) {
                        delivered.add(MessageLoad.messageIdIn(tx.data()));
                    }
                    return delivered.containsAll(acknowledged);
                });
                assertThat(delivered).containsAll(acknowledged);
                Thread.sleep(1000); // the last write-backs
            } finally {
                relay.destroy(); // SIGTERM: drain
                relay.waitFor(30, TimeUnit.SECONDS);
                relay.destroyForcibly();
            }
            // The embedded PostgreSQL outlived the relay (it is its own process); reuse it to read the spool.
            try (EmbeddedPostgres postgres = EmbeddedPostgres.start(directory.resolve("data"))) {
                ConnectionPool pool = Database.pool(postgres.r2dbcUrl(), 2);
                try {
                    Set<String> stillQueued = new HashSet<>(new SpoolReader(pool).all()
                            .map(m -> MessageLoad.messageIdIn(m.content()))
                            .collectList().block(Duration.ofSeconds(60)));
                    assertThat(stillQueued).as("messages never retired").isEmpty();
                } finally {
                    pool.dispose();
                }
                postgres.stop();
            }
        } finally {
            stopEmbeddedQuietly(directory.resolve("data"));
        }
    }

    private static void stopEmbeddedQuietly(Path dataDir) {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
            postgres.stop();
        } catch (RuntimeException ignored) {
            // nothing running
        }
    }
}
