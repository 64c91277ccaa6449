package dev.relay.engine.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.RelayProcess;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.ScratchDirectories;
import dev.relay.storage.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart: the relay (a child process) takes load, gets SIGTERM, drains and exits 0 within its grace
 * period; a new process takes over; every message that got a 250 from either is in the spool.
 */
class DrainIT {
    @Test
    void sigtermDrainsExitsZeroAndLosesNothing() throws Exception {
        try (TestDatabase database = TestDatabase.create("drain")) {
            Path directory = ScratchDirectories.directory("drain-" + UUID.randomUUID());
            int smtpPort = RelayProcess.freePort();
            Path config = directory.resolve("relay.yaml");
            Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                    + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n  shutdown_grace: 10s\n"
                    + "http:\n  listen: 127.0.0.1:" + RelayProcess.freePort() + "\n"
                    + "database:\n  url: \"" + database.url() + "\"\n  pool_size: 4\n"
                    + "delivery:\n  enabled: false\n");
            InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
            Set<String> acknowledged = new HashSet<>();
            for (int generation = 0; generation < 2; generation++) {
                Process relay = RelayProcess.start(config, directory.resolve("relay-" + generation + ".log"),
                        smtp, 60);
                try {
                    MessageLoad load = new MessageLoad(smtp, "drain" + generation);
                    Thread[] threads = load.start(6, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                    Thread.sleep(1500);
                    long stopping = System.nanoTime();
                    relay.destroy(); // SIGTERM
                    assertThat(relay.waitFor(25, TimeUnit.SECONDS)).as("exited within the grace period").isTrue();
                    assertThat(relay.exitValue()).as("exit code after a drain").isZero();
                    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stopping)).isLessThan(20);
                    load.stop();
                    MessageLoad.join(threads);
                    assertThat(load.acknowledged()).isNotEmpty();
                    acknowledged.addAll(load.acknowledged());
                } finally {
                    relay.destroyForcibly();
                }
            }
            Set<String> stored = new HashSet<>(new SpoolReader(database.pool(2)).all()
                    .map(m -> MessageLoad.messageIdIn(m.content()))
                    .collectList().block(Duration.ofSeconds(30)));
            assertThat(stored).containsAll(acknowledged);
        }
    }
}
