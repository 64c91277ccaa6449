package dev.relay.engine;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Per-system access to statistics and history: two connected systems send through a real relay to a real TestMx;
 * each, authenticated with HTTP Basic and its SMTP credentials, sees only its own counts, messages and contact
 * history; another system's message is a 404; a wrong password is a 401 after the AUTH failure delay; the admin token
 * still sees both.
 */
class SystemEventsApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String submit(TestRelay relay, String user, String... recipients) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            assertThat(c.reply().code()).isEqualTo(220);
            assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            c.upgradeToTls();
            assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
            String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestRelay.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(c.command("AUTH PLAIN " + plain).code()).isEqualTo(235);
            String from = "app@" + TestRelay.senderDomain(user);
            assertThat(c.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
            for (String r : recipients) {
                assertThat(c.command("RCPT TO:<" + r + ">").code()).isEqualTo(250);
            }
            assertThat(c.command("DATA").code()).isEqualTo(354);
            SmtpTestClient.Reply done = c.command("From: " + from + "\r\nSubject: order\r\n\r\nbody\r\n.");
            assertThat(done.code()).isEqualTo(250);
            return done.text().substring(done.text().lastIndexOf(' ') + 1).strip();
        }
    }

    private static HttpResponse<String> send(TestRelay relay, String path, String authorization) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.http().getPort() + path))
                .header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode ok(TestRelay relay, String path, String authorization) throws Exception {
        HttpResponse<String> r = send(relay, path, authorization);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static JsonNode asSystem(TestRelay relay, String system, String path) throws Exception {
        return ok(relay, path, basic(system, TestRelay.PASSWORD));
    }

    private static JsonNode asAdmin(TestRelay relay, String path) throws Exception {
        return ok(relay, path, "Bearer " + TestRelay.ADMIN_TOKEN);
    }

    /** sender -> kind -> count, summed over the buckets. */
    private static Map<String, Map<String, Long>> totals(JsonNode stats) {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (JsonNode row : stats.get("rows")) {
            Map<String, Long> kinds = out.computeIfAbsent(row.get("sender").asText(), s -> new TreeMap<>());
            row.get("counts").fields().forEachRemaining(e -> kinds.merge(e.getKey(), e.getValue().asLong(),
                    Long::sum));
        }
        return out;
    }

    private static List<String> kinds(JsonNode history) {
        List<String> out = new ArrayList<>();
        history.get("events").forEach(e -> out.add(e.get("kind").asText() + "|" + e.get("message").asText()));
        return out;
    }

    @Test
    void eachSystemSeesOnlyItsOwnStatisticsAndHistory() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("system_events", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n")) {
            String shop1 = submit(relay, TestRelay.USER, "buyer@good.test", "other@good.test");
            String shop2 = submit(relay, TestRelay.USER, "buyer@good.test");
            String news = submit(relay, TestRelay.BULK_USER, "buyer@good.test");

            awaitTrue(WAIT, () -> {
                try {
                    Map<String, Map<String, Long>> all = totals(asAdmin(relay, "/admin/stats"));
                    return all.getOrDefault(TestRelay.USER, Map.of()).getOrDefault("delivered", 0L) == 3
                            && all.getOrDefault(TestRelay.BULK_USER, Map.of()).getOrDefault("delivered", 0L) == 1;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });

            // statistics: each system its own numbers, whatever sender it asks for; the admin both
            assertThat(totals(asSystem(relay, TestRelay.USER, "/admin/stats?since=2h")))
                    .isEqualTo(Map.of(TestRelay.USER, Map.of("accepted", 2L, "delivered", 3L)));
            assertThat(totals(asSystem(relay, TestRelay.BULK_USER, "/admin/stats?sender=" + TestRelay.USER)))
                    .isEqualTo(Map.of(TestRelay.BULK_USER, Map.of("accepted", 1L, "delivered", 1L)));
            // the same by minute (the minute rollup, written with the hourly one)
            JsonNode minutes = asSystem(relay, TestRelay.USER, "/admin/stats?since=1h&by=minute");
            assertThat(minutes.get("by").asText()).isEqualTo("minute");
            assertThat(totals(minutes)).isEqualTo(Map.of(TestRelay.USER, Map.of("accepted", 2L, "delivered", 3L)));
            assertThat(totals(asAdmin(relay, "/admin/stats")).keySet())
                    .contains(TestRelay.USER, TestRelay.BULK_USER);

            // a message's history: its own system sees it, the other one gets the 404 of an unknown id
            assertThat(kinds(asSystem(relay, TestRelay.USER, "/admin/history/messages/" + shop1)))
                    .containsExactlyInAnyOrder("delivered|" + shop1, "delivered|" + shop1, "accepted|" + shop1);
            assertThat(send(relay, "/admin/history/messages/" + shop1, basic(TestRelay.BULK_USER,
                    TestRelay.PASSWORD)).statusCode()).isEqualTo(404);
            assertThat(send(relay, "/admin/history/messages/" + news, basic(TestRelay.USER, TestRelay.PASSWORD))
                    .statusCode()).isEqualTo(404);
            assertThat(kinds(asSystem(relay, TestRelay.BULK_USER, "/admin/history/messages/" + news)))
                    .containsExactly("delivered|" + news, "accepted|" + news);

            // contact history of an address both sent to: each system its own messages only, the admin all three
            assertThat(kinds(asSystem(relay, TestRelay.USER, "/admin/history/recipients/buyer@good.test")))
                    .containsExactlyInAnyOrder("delivered|" + shop1, "delivered|" + shop2);
            assertThat(kinds(asSystem(relay, TestRelay.BULK_USER, "/admin/history/recipients/buyer@good.test")))
                    .containsExactly("delivered|" + news);
            assertThat(kinds(asAdmin(relay, "/admin/history/recipients/buyer@good.test")))
                    .containsExactlyInAnyOrder("delivered|" + shop1, "delivered|" + shop2, "delivered|" + news);

            // the rest of the admin API is not a system's
            assertThat(send(relay, "/admin/queue/summary", basic(TestRelay.USER, TestRelay.PASSWORD)).statusCode())
                    .isEqualTo(403);

            // a wrong password: 401, answered only after the SMTP AUTH failure delay (1 s by default)
            long started = System.nanoTime();
            HttpResponse<String> refused = send(relay, "/admin/stats", basic(TestRelay.USER, "wrong-password"));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                    assertThat(v).startsWith("Basic"));
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(990));
            assertThat(send(relay, "/admin/stats", "Basic not-base64!").statusCode()).isEqualTo(401);
        }
    }
}
