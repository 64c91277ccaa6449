package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.auth.PasswordHash;
import dev.relay.engine.testing.RelayProcess;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.storage.testing.Await;
import dev.relay.storage.testing.ScratchDirectories;
import dev.relay.storage.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code log.format: json} with the shipped logback.xml: the relay (a child process) takes an authenticated
 * message, fails one AUTH, delivers to a {@link TestMx} and stops; every line it wrote is one JSON object, the
 * acceptance and the delivery attempt are each one line carrying the queue id, and neither the body nor any
 * password appears.
 */
class JsonLogsIT {
    private static final String PASSWORD = "pw-never-logged-7Qx";
    private static final String WRONG_PASSWORD = "wrong-never-logged-3Zk";
    private static final String BODY_MARKER = "body-never-logged-9Vw";

    @Test
    void everyLineIsJsonWithIdsAndWithoutBodiesOrSecrets() throws Exception {
        try (TestDatabase database = TestDatabase.create("jsonlogs");
             TestMx mx = TestMx.builder().start()) {
            Path directory = ScratchDirectories.directory("jsonlogs-" + UUID.randomUUID());
            Files.writeString(directory.resolve("users.yaml"), "users:\n  shop:\n    password: \""
                    + PasswordHash.create(PASSWORD.toCharArray()).encode() + "\"\n    domains: [shop.test]\n");
            Files.setPosixFilePermissions(directory.resolve("users.yaml"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            int smtpPort = RelayProcess.freePort();
            Path config = directory.resolve("relay.yaml");
            Files.writeString(config, "data_dir: " + directory.resolve("data") + "\n"
                    + "log:\n  format: json\n"
                    + "smtp:\n  listen: 127.0.0.1:" + smtpPort + "\n"
                    + "  auth: { users_file: users.yaml, require_tls: false }\n"
                    + "http:\n  listen: 127.0.0.1:" + RelayProcess.freePort() + "\n"
                    + "database:\n  url: \"" + database.url() + "\"\n  pool_size: 4\n"
                    + "dkim:\n  missing_key: send_unsigned\n"
                    + "delivery:\n  node_name: jsonlogs\n  poll_interval: 200ms\n"
                    + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n");
            URL shipped = JsonLogsIT.class.getResource("/logback.xml");
            assertThat(shipped).as("the production logback.xml on the classpath").isNotNull();
            Path logFile = directory.resolve("relay.log");
            InetSocketAddress smtp = new InetSocketAddress("127.0.0.1", smtpPort);
            Process relay = RelayProcess.start(config, logFile, smtp, 60,
                    List.of("-Dlogback.configurationFile=" + shipped)); // a URL: a file, or inside relay.jar
            String queueId;
            try {
                queueId = submit(smtp);
                Await.until(Duration.ofSeconds(30), () -> !mx.transactions().isEmpty());
                assertThat(mx.transactions()).hasSize(1);
                relay.destroy(); // SIGTERM: drain, flush the logs, exit 0
                assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(relay.exitValue()).isZero();
            } finally {
                relay.destroyForcibly();
            }

            String log = Files.readString(logFile, StandardCharsets.UTF_8);
            assertThat(log).doesNotContain(BODY_MARKER, PASSWORD, WRONG_PASSWORD);
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> events = new ArrayList<>();
            for (String line : log.split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode event = json.readTree(line); // throws on anything that is not JSON
                assertThat(event.isObject()).as("one object per line: %s", line).isTrue();
                assertThat(event.path("level").asText()).isNotEmpty();
                assertThat(event.path("loggerName").asText()).isNotEmpty();
                assertThat(event.path("timestamp").isNumber()).isTrue();
                events.add(event);
            }
            List<String> messages = events.stream().map(e -> e.path("formattedMessage").asText()).toList();
            assertThat(messages).anyMatch(m -> m.contains("relay ready"));
            assertThat(messages).filteredOn(m -> m.contains(queueId)).anyMatch(m -> m.contains(" queued "))
                    .anyMatch(m -> m.startsWith(queueId + " attempt ") && m.contains("delivered=1"));
            assertThat(messages).anyMatch(m -> m.contains("authentication failed for shop"));
            // sessions and deliveries run on the relay's one set of I/O loops (shared with the database driver)
            assertThat(events).filteredOn(e -> e.path("formattedMessage").asText().contains(queueId))
                    .extracting(e -> e.path("threadName").asText())
                    .allSatisfy(thread -> assertThat(thread).startsWith("relay-io-"));
        }
    }

    /** One failed AUTH, one good one, one message; returns its queue id. */
    private static String submit(InetSocketAddress smtp) throws Exception {
        try (SmtpTestClient client = SmtpTestClient.connect(smtp)) {
            assertThat(client.reply().code()).isEqualTo(220);
            assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
            assertThat(client.command("AUTH PLAIN " + plain(WRONG_PASSWORD)).code()).isEqualTo(535);
            assertThat(client.command("AUTH PLAIN " + plain(PASSWORD)).code()).isEqualTo(235);
            assertThat(client.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<user@example.test>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            SmtpTestClient.Reply queued = client.command("Subject: logs\r\n\r\n" + BODY_MARKER + "\r\n.");
            assertThat(queued.code()).isEqualTo(250);
            client.command("QUIT");
            return queued.text().replaceAll(".*queued as ", "").trim();
        }
    }

    private static String plain(String password) {
        return Base64.getEncoder().encodeToString(("\0shop\0" + password).getBytes(StandardCharsets.UTF_8));
    }
}
