package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.intake.IntakeVerdictTest;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.engine.testing.WebhookReceiver;
import dev.relay.storage.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The events the bounce intake writes reach the webhooks like the write-back's: the relay delivers through VERP to
 * an MX that accepts, the MX's bounce and a complaint come back to the bounce domain, and a real HTTP receiver that
 * checks every signature gets the asynchronous {@code bounced}, the {@code complained} and the
 * {@code suppression_added} events they caused, for the recipient the token names.
 */
class AsyncBounceWebhookIT {
    private static final String DOMAIN = "bounces.relay.test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anAsynchronousBounceAndAComplaintArePostedSignedToTheWebhook() throws Exception {
        Path secret = Files.createTempFile(Path.of("target"), "verp", ".key");
        Files.write(secret, "0123456789abcdef-webhook-intake-secret".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder().start();
             WebhookReceiver receiver = new WebhookReceiver();
             TestRelay relay = TestRelay.startWithAdmin("asyncbouncehook", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "webhooks:\n  poll_interval: 100ms\n"
                     + "bounces:\n  verp:\n    enabled: true\n    domain: " + DOMAIN + "\n"
                     + "    secret_file: " + secret.toAbsolutePath() + "\n    max_report_size: 64KiB\n")) {
            SuppressionIT.Http added = SuppressionIT.http(relay, "POST", "/admin/webhooks", JSON.createObjectNode()
                    .put("sender", "*").put("url", receiver.url()).set("kinds", JSON.createArrayNode()
                            .add("bounced").add("complained").add("suppression_added")).toString());
            assertThat(added.status()).as(added.body()).isEqualTo(200);
            receiver.secret(added.json().get("endpoint").get("secret").asText());

            Submissions.submit(relay.smtp(), "app@shop.test", "<hook-verp@t>", "exim@example.test",
                    "arf@example.test");
            Await.awaitTrue("both delivered", Duration.ofSeconds(30), () -> mx.transactions().size() >= 2);
            Map<String, String> returnPath = new HashMap<>();
            for (TestMx.Transaction t : mx.transactions()) {
                returnPath.put(t.recipients().get(0), t.mailFrom());
            }
            assertThat(BounceIntakeIT.sendReport(relay, returnPath.get("exim@example.test"),
                    IntakeVerdictTest.sample("exim-freetext.eml")).code()).isEqualTo(250);
            assertThat(BounceIntakeIT.sendReport(relay, returnPath.get("arf@example.test"),
                    IntakeVerdictTest.sample("arf-complaint.eml")).code()).isEqualTo(250);

            // bounced + its suppression, complained + its suppression
            Await.awaitTrue("the intake's events posted", Duration.ofSeconds(30),
                    () -> receiver.eventIds().size() >= 4);
            assertThat(receiver.badSignatures()).isZero();
            List<String> posted = receiver.events().values().stream()
                    .map(e -> e.get("kind").asText() + "|" + e.get("recipient").asText())
                    .collect(Collectors.toList());
            assertThat(posted).containsExactlyInAnyOrder("bounced|exim@example.test",
                    "suppression_added|exim@example.test", "complained|arf@example.test",
                    "suppression_added|arf@example.test");
            JsonNode bounced = receiver.events().values().stream()
                    .filter(e -> e.get("kind").asText().equals("bounced")).findFirst().orElseThrow();
            assertThat(bounced.get("message").asText()).isNotEmpty();
            // exactly the stored events, each once
            assertThat(receiver.eventIds()).containsExactlyInAnyOrderElementsOf(relay.database().rows(
                    "SELECT id FROM event WHERE kind IN (4, 12, 20)").stream().map(Long::parseLong).toList());
        } finally {
            Files.deleteIfExists(secret);
        }
    }
}
