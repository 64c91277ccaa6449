package dev.relay.engine.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.ScratchDirectories;
import dev.relay.storage.testing.TestDatabase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart: the relay (a child process) takes load, gets SIGTERM, drains and exits 0 within its grace
 * period; a new process takes over; every message that got a 250 from either is in the spool.
 */
class DrainIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: (<[^>]+>)");

    @Test
    void sigtermDrainsExitsZeroAndLosesNothing() throws Exception {
        try (TestDatabase database = TestDatabase.create("drain")) {
            Path directory = ScratchDirectories.directory("drain-" + UUID.randomUUID());
            int smtpPort = freePort();
            Path config = directory.resolve("relay.yaml");
            Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                    + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n  shutdown_grace: 10s\n"
                    + "http:\n  listen: 127.0.0.1:" + freePort() + "\n"
                    + "database:\n  url: \"" + database.url() + "\"\n  pool_size: 4\n");
            InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
            Set<String> acknowledged = new HashSet<>();
            for (int generation = 0; generation < 2; generation++) {
                Process relay = startRelay(config, directory.resolve("relay-" + generation + ".log"));
                try {
                    awaitGreeting(smtp, relay);
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
                    .map(m -> messageId(new String(m.content(), StandardCharsets.US_ASCII)))
                    .collectList().block(Duration.ofSeconds(30)));
            assertThat(stored).containsAll(acknowledged);
        }
    }

    private static Process startRelay(Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.relay.engine.Main", "run", "--config", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static void awaitGreeting(InetSocketAddress smtp, Process relay) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(relay.isAlive()).as("relay process alive").isTrue();
            try (SmtpTestClient client = SmtpTestClient.connect(smtp)) {
                if (client.reply().code() == 220) {
                    return;
                }
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("relay did not start within 60 s");
    }

    private static String messageId(String content) {
        Matcher matcher = MESSAGE_ID.matcher(content);
        return matcher.find() ? matcher.group(1) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
