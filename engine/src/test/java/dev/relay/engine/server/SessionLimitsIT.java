package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.SmtpTestClient.Reply;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Relay rights, idle timeout and the connection cap, on a relay whose relay_networks is empty. */
class SessionLimitsIT {
    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.startWithDatabase("limits", "  relay_networks: []\n  command_timeout: 1s\n  max_connections: 3\n");
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void relayingWithoutAuthIsDeniedAndNothingIsStored() throws IOException {
        long before = relay.spool().countMessages().block(Duration.ofSeconds(5));
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.reply();
            client.command("EHLO outsider.test");
            assertThat(client.command("MAIL FROM:<spammer@outsider.test>").code()).isEqualTo(250);
            Reply denied = client.command("RCPT TO:<victim@example.test>");
            assertThat(denied.code()).isEqualTo(554);
            assertThat(denied.text()).startsWith("5.7.1");
            assertThat(client.command("DATA").code()).isEqualTo(554);
        }
        assertThat(relay.spool().countMessages().block(Duration.ofSeconds(5))).isEqualTo(before);
    }

    @Test
    void authenticatedClientsMayRelay() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.reply();
            client.command("EHLO app.test");
            client.command("STARTTLS");
            client.upgradeToTls();
            client.command("EHLO app.test");
            assertThat(client.command("AUTH PLAIN " + FrontDoorIT.plain(TestRelay.USER, TestRelay.PASSWORD)).code())
                    .isEqualTo(235);
            client.command("MAIL FROM:<app@shop.test>");
            assertThat(client.command("RCPT TO:<customer@example.test>").code()).isEqualTo(250);
            client.command("DATA");
            Reply queued = client.command("Subject: order\r\n\r\nthanks\r\n.");
            assertThat(queued.code()).isEqualTo(250);
        }
    }

    @Test
    void idleSessionsTimeOutWith421() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.reply();
            Reply timeout = client.reply();
            assertThat(timeout.code()).isEqualTo(421);
            assertThat(timeout.text()).startsWith("4.4.2");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void connectionsBeyondTheCapGet421() throws Exception {
        awaitNoOpenConnections(); // connections of earlier tests close on the server side after the client's
        List<SmtpTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                SmtpTestClient client = SmtpTestClient.connect(relay.smtp());
                assertThat(client.reply().code()).isEqualTo(220);
                clients.add(client);
            }
            try (SmtpTestClient extra = SmtpTestClient.connect(relay.smtp())) {
                Reply reply = extra.reply();
                assertThat(reply.code()).isEqualTo(421);
                assertThat(reply.text()).startsWith("4.3.2");
            }
        } finally {
            clients.forEach(SmtpTestClient::close);
        }
    }

    /** Until the relay's gauge of open SMTP connections (the ones the cap counts) is back at 0, at most 10 s. */
    private static void awaitNoOpenConnections() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI metrics = URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics");
        Pattern gauge = Pattern.compile("(?m)^relay_smtp_connections_open(?:\\{[^}]*\\})? (\\S+)$");
        double open = Await.awaitValue(Duration.ofSeconds(10), () -> {
            String body = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = gauge.matcher(body);
            assertThat(m.find()).as("relay_smtp_connections_open in the scrape").isTrue();
            return Double.parseDouble(m.group(1));
        }, value -> value == 0);
        assertThat(open).as("SMTP connections still open on the relay after 10 s").isZero();
    }
}
