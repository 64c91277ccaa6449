package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.RelayProcess;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.WebhookReceiver;
import dev.relay.storage.testing.Await;
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
 * The relay as a child process on a test database, posting to a {@link WebhookReceiver} that answers slowly (so
 * POSTs are in flight), is killed with SIGKILL mid-run and restarted: afterwards the receiver has every stored event
 * the endpoint wants at least once (de-duplicated by event id), each with a valid signature. The load runs for
 * {@code -Dwebhooks.crash.seconds} (default 3) before the kill.
 */
class WebhookCrashIT {
    @Test
    void sigkillMidRunLosesNoWebhookEvent() throws Exception {
        Path directory = ScratchDirectories.directory("webhook-crash-" + UUID.randomUUID());
        Files.createDirectories(directory);
        int smtpPort = RelayProcess.freePort();
        InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
        long loadMillis = TimeUnit.SECONDS.toMillis(Integer.getInteger("webhooks.crash.seconds", 3));
        try (TestDatabase db = TestDatabase.create("webhook_crash");
             TestMx mx = TestMx.builder().start();
             WebhookReceiver receiver = new WebhookReceiver().delay(200).secret("crash-secret")) {
            db.migrate().block(Duration.ofSeconds(60));
            // straight into the table: the admin API is not what this test is about
            db.rows("INSERT INTO webhook_endpoint(sender, url, secret, kinds, max_in_flight) VALUES ('*', '"
                    + receiver.url() + "', 'crash-secret', '{1,2,3,4,5}', 4) RETURNING id");
            Path config = directory.resolve("relay.yaml");
            Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                    + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n  hostname: crash.test\n  shutdown_grace: 5s\n"
                    + "http:\n  listen: 127.0.0.1:" + RelayProcess.freePort() + "\n"
                    + "database:\n  url: \"" + db.url() + "\"\n  pool_size: 6\n"
                    + "delivery:\n  node_name: webhook-crash\n  poll_interval: 200ms\n  heartbeat: 1s\n"
                    + "  stale_after: 3s\n"
                    + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                    + "  retry: {schedule: [1s], jitter: 0}\n"
                    + "webhooks:\n  poll_interval: 100ms\n  batch_size: 20\n  timeout: 2s\n"
                    + "  backoff_base: 200ms\n  backoff_cap: 1s\n");
            Set<String> acknowledged = new HashSet<>();
            Process relay = RelayProcess.start(config, directory.resolve("relay-0.log"), smtp, 90);
            int postsBeforeKill;
            try {
                MessageLoad load = new MessageLoad(smtp, "hookcrash");
                Thread[] threads = load.start(4, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(loadMillis * 2));
                Await.awaitTrue("webhook POSTs under way", Duration.ofSeconds(60), () -> receiver.posts() > 5);
                Thread.sleep(loadMillis); // let the load run: the kill must come mid-run, at no chosen point
                postsBeforeKill = receiver.posts();
                relay.destroyForcibly(); // SIGKILL: no shutdown hook, no drain
                relay.waitFor(10, TimeUnit.SECONDS);
                load.stop();
                MessageLoad.join(threads);
                acknowledged.addAll(load.acknowledged());
            } finally {
                relay.destroyForcibly();
            }
            assertThat(acknowledged).isNotEmpty();
            assertThat(postsBeforeKill).isPositive();

            Process again = RelayProcess.start(config, directory.resolve("relay-1.log"), smtp, 90);
            try {
                Set<Long> expected = new HashSet<>();
                Await.awaitTrue("every acknowledged message delivered and every event posted after the restart",
                        Duration.ofSeconds(90), () -> {
                            Set<String> delivered = new HashSet<>();
                            for (TestMx.Transaction tx : mx.transactions()) {
                                delivered.add(MessageLoad.messageIdIn(tx.data()));
                            }
                            expected.clear();
                            expected.addAll(Hooks.expected(db.rows("SELECT id FROM event WHERE kind IN "
                                    + Hooks.DEFAULT_KINDS)));
                            return delivered.containsAll(acknowledged) && receiver.eventIds().containsAll(expected)
                                    && db.rows("SELECT count(*) FROM webhook_outbox").equals(java.util.List.of("0"));
                        });
                assertThat(receiver.eventIds()).containsAll(expected);
                assertThat(expected.size()).isGreaterThanOrEqualTo(2 * acknowledged.size());
                assertThat(receiver.badSignatures()).isZero();
                System.out.printf("webhook crash: %d messages acknowledged, %d events, %d POSTs before the kill,"
                        + " %d events received more than once%n", acknowledged.size(), expected.size(),
                        postsBeforeKill, receiver.duplicates());
            } finally {
                again.destroy();
                again.waitFor(30, TimeUnit.SECONDS);
                again.destroyForcibly();
            }
        }
    }
}
