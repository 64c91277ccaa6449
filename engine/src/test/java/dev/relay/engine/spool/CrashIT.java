package dev.relay.engine.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.storage.Database;
import dev.relay.storage.EmbeddedPostgres;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.ScratchDirectories;
import io.r2dbc.pool.ConnectionPool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The relay runs as a child process with the embedded default (no database URL: it starts its own PostgreSQL
 * under its data directory), is killed with SIGKILL at random moments under load, and restarted. Every message
 * that got a 250 must be in the spool afterwards.
 */
class CrashIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: (<[^>]+>)");

    @Test
    void everyAcknowledgedMessageSurvivesSigkill() throws Exception {
        Path directory = ScratchDirectories.directory("crash-" + UUID.randomUUID());
        Files.createDirectories(directory);
        int smtpPort = freePort();
        Path config = directory.resolve("relay.yaml");
        Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n  hostname: crash.test\n"
                + "http:\n  listen: 127.0.0.1:" + freePort() + "\n");
        InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
        Random random = new Random(42);
        Set<String> acknowledged = new HashSet<>();
        try {
            for (int round = 0; round < 3; round++) {
                Process relay = startRelay(config, directory.resolve("relay-" + round + ".log"));
                try {
                    awaitGreeting(smtp, relay);
                    MessageLoad load = new MessageLoad(smtp, "crash" + round);
                    Thread[] threads = load.start(8, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                    Thread.sleep(700 + random.nextInt(1500));
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
            // The embedded PostgreSQL outlived the relay (it is its own process); reuse it to read the spool.
            try (EmbeddedPostgres postgres = EmbeddedPostgres.start(directory.resolve("data"))) {
                ConnectionPool pool = Database.pool(postgres.r2dbcUrl(), 2);
                try {
                    Set<String> stored = new HashSet<>(new SpoolReader(pool).all()
                            .map(m -> messageId(new String(m.content(), StandardCharsets.US_ASCII)))
                            .collectList().block(Duration.ofSeconds(60)));
                    assertThat(stored).containsAll(acknowledged);
                } finally {
                    pool.dispose();
                }
                postgres.stop();
            }
        } finally {
            stopEmbeddedQuietly(directory.resolve("data"));
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
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
        throw new AssertionError("relay did not start within 90 s");
    }

    private static void stopEmbeddedQuietly(Path dataDir) {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
            postgres.stop();
        } catch (RuntimeException ignored) {
            // nothing running
        }
    }

    private static String messageId(String content) {
        Matcher matcher = MESSAGE_ID.matcher(content);
        return matcher.find() ? matcher.group(1) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
