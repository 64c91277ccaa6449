package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A global byte budget no larger than one message, with many sessions sending large messages at once: sessions
 * pause instead of buffering, yet every message completes (the overdraft keeps one message moving), and the
 * budget is back at zero afterwards, as the scraped metrics show.
 */
class ByteBudgetIT {

    @Test
    void tightBudgetSlowsSessionsButNeverDeadlocks() throws Exception {
        try (TestRelay relay = TestRelay.startWithDatabase("budget",
                "  max_message_size: 64KB\n  max_bytes_in_flight: 64KB\n")) {
            String body = ("z".repeat(76) + "\r\n").repeat(700); // ~54 KiB
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<Integer>> accepted = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                accepted.add(clients.submit(() -> {
                    int ok = 0;
                    try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
                        client.reply();
                        client.command("EHLO budget.test");
                        for (int m = 0; m < 3; m++) {
                            client.command("MAIL FROM:<a@shop.test>");
                            client.command("RCPT TO:<b@example.test>");
                            client.command("DATA");
                            if (client.command("Subject: big\r\n\r\n" + body + ".").code() == 250) {
                                ok++;
                            }
                        }
                    }
                    return ok;
                }));
            }
            int total = 0;
            for (Future<Integer> future : accepted) {
                total += future.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();
            assertThat(total).isEqualTo(24);

            HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).containsPattern("(?m)^relay_smtp_bytes_in_flight_bytes\\{[^}]*\\} 0\\.0$")
                    .containsPattern("(?m)^relay_messages_accepted_total\\{[^}]*\\} 24\\.0$");
        }
    }
}
