package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * VERP per connected system over real sockets: with {@code bounces.verp.enabled: true}, a system set to
 * {@code verp: off} through the admin API keeps its original MAIL FROM (and its recipients share a transaction),
 * while another system's deliveries are rewritten to the bounce domain; set back to {@code default} it follows the
 * global setting again.
 */
class SystemVerpIT {
    private static final String DOMAIN = "bounces.relay.test";
    private static final String AUTH_WITHOUT_TLS = "  auth: { users_file: users.yaml, require_tls: false }\n";

    @Test
    void aSystemWithVerpOffKeepsItsSenderTheOtherIsRewritten() throws Exception {
        Path secret = Files.createTempFile(Path.of("target"), "verp", ".key");
        Files.write(secret, "0123456789abcdef-system-verp-secret".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("systemverp", AUTH_WITHOUT_TLS, "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "bounces:\n  verp:\n    enabled: true\n    domain: " + DOMAIN + "\n"
                     + "    secret_file: " + secret.toAbsolutePath() + "\n")) {
            SuppressionIT.Http off = SuppressionIT.http(relay, "POST", "/admin/systems/" + TestRelay.BULK_USER,
                    "{\"verp\": \"off\"}");
            assertThat(off.status()).as(off.body()).isEqualTo(200);
            assertThat(SuppressionIT.http(relay, "GET", "/admin/systems/" + TestRelay.BULK_USER, null).json()
                    .get("verp").asText()).isEqualTo("off");
            assertThat(SuppressionIT.http(relay, "POST", "/admin/systems/" + TestRelay.BULK_USER,
                    "{\"verp\": \"sometimes\"}").status()).isEqualTo(400);

            String shopFrom = "app@" + TestRelay.SENDER_DOMAIN;
            String newsFrom = "news@" + TestRelay.BULK_SENDER_DOMAIN;
            submit(relay, TestRelay.USER, shopFrom, "s1@example.test", "s2@example.test");
            submit(relay, TestRelay.BULK_USER, newsFrom, "n1@example.test", "n2@example.test");
            Await.awaitTrue("four deliveries", Duration.ofSeconds(30), () -> mx.transactions().stream()
                    .mapToInt(t -> t.recipients().size()).sum() >= 4);

            for (TestMx.Transaction t : mx.transactions()) {
                if (t.recipients().get(0).startsWith("s")) {
                    assertThat(t.recipients()).as("VERP: one recipient per delivery").hasSize(1);
                    assertThat(t.mailFrom()).matches("b\\+[a-z2-7]{53}@" + DOMAIN.replace(".", "\\."));
                } else {
                    assertThat(t.mailFrom()).as("verp off for " + TestRelay.BULK_USER).isEqualTo(newsFrom);
                }
            }

            // back to the default: the global setting (on) applies to its next message
            assertThat(SuppressionIT.http(relay, "POST", "/admin/systems/" + TestRelay.BULK_USER,
                    "{\"verp\": \"default\"}").status()).isEqualTo(200);
            int before = mx.transactions().size();
            submit(relay, TestRelay.BULK_USER, newsFrom, "n3@example.test");
            Await.awaitTrue("the fifth delivery", Duration.ofSeconds(30), () -> mx.transactions().size() > before);
            assertThat(mx.transactions().get(mx.transactions().size() - 1).mailFrom()).startsWith("b+");
        }
    }

    @Test
    void withVerpOffByDefaultASystemSetOnIsRewrittenTheOtherIsNot() throws Exception {
        Path secret = Files.createTempFile(Path.of("target"), "verp", ".key");
        Files.write(secret, "0123456789abcdef-system-verp-secret".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("systemverpon", AUTH_WITHOUT_TLS, "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "bounces:\n  verp:\n    enabled: false\n    domain: " + DOMAIN + "\n"
                     + "    secret_file: " + secret.toAbsolutePath() + "\n")) {
            assertThat(SuppressionIT.http(relay, "POST", "/admin/systems/" + TestRelay.USER,
                    "{\"verp\": \"on\"}").status()).isEqualTo(200);
            String shopFrom = "app@" + TestRelay.SENDER_DOMAIN;
            String newsFrom = "news@" + TestRelay.BULK_SENDER_DOMAIN;
            submit(relay, TestRelay.USER, shopFrom, "s1@example.test");
            submit(relay, TestRelay.BULK_USER, newsFrom, "n1@example.test");
            Await.awaitTrue("two deliveries", Duration.ofSeconds(30), () -> mx.transactions().size() >= 2);
            for (TestMx.Transaction t : mx.transactions()) {
                assertThat(t.mailFrom()).as(t.recipients().toString()).isEqualTo(
                        t.recipients().get(0).startsWith("s") ? t.mailFrom() : newsFrom);
                if (t.recipients().get(0).startsWith("s")) {
                    assertThat(t.mailFrom()).matches("b\\+[a-z2-7]{53}@" + DOMAIN.replace(".", "\\."));
                }
            }
        }
    }

    private static void submit(TestRelay relay, String user, String from, String... recipients) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            c.reply();
            assertThat(c.command("EHLO client.test").code()).isEqualTo(250);
            String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestRelay.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(c.command("AUTH PLAIN " + plain).code()).isEqualTo(235);
            assertThat(c.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
            for (String r : recipients) {
                assertThat(c.command("RCPT TO:<" + r + ">").code()).isEqualTo(250);
            }
            assertThat(c.command("DATA").code()).isEqualTo(354);
            assertThat(c.command("From: " + from + "\r\nSubject: verp\r\n\r\nbody\r\n.").code()).isEqualTo(250);
            c.command("QUIT");
        }
    }
}
