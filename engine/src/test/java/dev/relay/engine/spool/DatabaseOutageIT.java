package dev.relay.engine.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.MessageLoad;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.Await;
import dev.relay.storage.testing.CuttableProxy;
import dev.relay.storage.testing.TestDatabase;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL becomes unreachable in the middle of a load (a proxy between the relay and the server is cut):
 * clients get 451 4.3.0, never a 250 for mail that is not stored, sessions survive, and acceptance resumes by
 * itself when the database is back.
 */
class DatabaseOutageIT {
    @Test
    void noAcknowledgementWithoutCommitAndRecoveryWithoutRestart() throws Exception {
        try (TestDatabase database = TestDatabase.create("outage");
                CuttableProxy proxy = CuttableProxy.inFrontOf(database.url())) {
            String proxiedUrl = proxy.rewrite(database.url());
            Set<String> acknowledged;
            try (TestRelay relay = TestRelay.start(proxiedUrl, "")) {
                MessageLoad load = new MessageLoad(relay.smtp(), "outage");
                Thread[] threads = load.start(6, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
                Thread.sleep(1500);
                int acceptedBeforeCut = load.acknowledged().size();
                proxy.cut();
                Thread.sleep(3000);
                int acceptedDuringCut = load.acknowledged().size();
                // In-flight commits may finish right at the cut; after that nothing more can be acknowledged.
                Thread.sleep(2000);
                assertThat(load.acknowledged().size()).isEqualTo(acceptedDuringCut);
                assertThat(load.tempFailures()).isPositive();
                try (SmtpTestClient probe = SmtpTestClient.connect(relay.smtp())) {
                    probe.reply();
                    probe.command("EHLO probe.test");
                    probe.command("MAIL FROM:<p@shop.test>");
                    // the suppression check at RCPT may meet the outage first (a cache miss asks the database);
                    // either way the door answers 451 4.3.0 and never a 250
                    SmtpTestClient.Reply reply = probe.command("RCPT TO:<q@example.test>");
                    if (reply.code() == 250) {
                        probe.command("DATA");
                        reply = probe.command("Subject: during outage\r\n\r\nx\r\n.");
                    }
                    assertThat(reply.code()).isEqualTo(451);
                    assertThat(reply.text()).startsWith("4.3.0");
                    assertThat(probe.command("NOOP").code()).isEqualTo(250);
                }
                proxy.restore();
                Await.until(Duration.ofSeconds(30), () -> load.acknowledged().size() >= acceptedDuringCut + 50);
                load.stop();
                MessageLoad.join(threads);
                assertThat(acceptedBeforeCut).isPositive();
                assertThat(load.acknowledged().size()).as("accepted again after the database came back")
                        .isGreaterThanOrEqualTo(acceptedDuringCut + 50);
                acknowledged = Set.copyOf(load.acknowledged());
            }
            Set<String> stored = new SpoolReader(database.pool(2)).all()
                    .map(m -> MessageLoad.messageIdIn(m.content()))
                    .collect(Collectors.toSet())
                    .block(Duration.ofSeconds(30));
            // Every 250 is backed by a committed row (no loss). Rows without a 250 may exist (commit done, reply
            // lost): the client retries them, which is the at-least-once duplicate RFC 5321 6.1 allows.
            assertThat(stored).containsAll(acknowledged);
        }
    }
}
