package dev.relay.engine;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Statistics and history end to end: two AUTH users submit to a real relay, a real TestMx accepts one recipient and
 * hard-bounces another, and the admin API and the real {@code relay stats} / {@code relay history} entry points
 * report exactly that, each sender seeing only its own counts.
 */
class EventsApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Submits as {@code user} over STARTTLS + AUTH PLAIN; returns the queue id from the 250 reply. */
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
            // each system sends as its own domain (connected systems, issue 15)
            String from = "app@" + TestRelay.senderDomain(user);
            assertThat(c.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
            for (String r : recipients) {
                assertThat(c.command("RCPT TO:<" + r + ">").code()).isEqualTo(250);
            }
            assertThat(c.command("DATA").code()).isEqualTo(354);
            SmtpTestClient.Reply done = c.command("From: " + from + "\r\nSubject: order\r\n\r\nbody\r\n.");
            assertThat(done.code()).isEqualTo(250);
            String text = done.text();
            return text.substring(text.lastIndexOf(' ') + 1).strip();
        }
    }

    private static JsonNode get(TestRelay relay, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.http().getPort() + path))
                .header("Authorization", "Bearer " + TestRelay.ADMIN_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** kind -> count summed over the buckets of one sender. */
    private static Map<String, Long> totals(JsonNode stats, String sender) {
        Map<String, Long> out = new TreeMap<>();
        for (JsonNode row : stats.get("rows")) {
            if (row.get("sender").asText().equals(sender)) {
                row.get("counts").fields().forEachRemaining(e -> out.merge(e.getKey(), e.getValue().asLong(),
                        Long::sum));
            }
        }
        return out;
    }

    private static List<String> kinds(JsonNode history) {
        List<String> out = new ArrayList<>();
        history.get("events").forEach(e -> out.add(e.get("kind").asText() + "|" + e.get("recipient").asText()));
        return out;
    }

    /** Runs the real entry point with a config naming the relay's port and token file; returns out (asserting 0). */
    private static String cli(TestRelay relay, String... args) throws Exception {
        Path config = relay.directory().resolve("cli.yaml");
        Files.writeString(config, "http:\n  listen: 127.0.0.1:" + relay.http().getPort()
                + "\n  admin_token_file: admin.token\n");
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--config");
        all.add(config.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all.toArray(String[]::new), Map.of("USER", "ops"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The events of the history at {@code path}, as kind|recipient, once it has at least {@code n}. */
    private static List<String> awaitHistory(TestRelay relay, String path, int n) throws Exception {
        awaitTrue(WAIT, () -> {
            try {
                return get(relay, path).get("events").size() >= n;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return kinds(get(relay, path));
    }

    @Test
    void historyFindsAMessageByTheClientsMessageIdOrTheOneTheRelayAdded() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("events_msgid", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n")) {
            dev.relay.engine.testing.Submissions.submit(relay.smtp(), "app@shop.test", "<order-4711@shop.example>",
                    "buyer@good.test");
            String anonymous;
            try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
                assertThat(c.reply().code()).isEqualTo(220);
                assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
                assertThat(c.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
                assertThat(c.command("RCPT TO:<reader@good.test>").code()).isEqualTo(250);
                assertThat(c.command("DATA").code()).isEqualTo(354);
                SmtpTestClient.Reply done = c.command("From: app@shop.test\r\nSubject: no id\r\n\r\nbody\r\n.");
                assertThat(done.code()).isEqualTo(250);
                anonymous = done.text().substring(done.text().lastIndexOf(' ') + 1).strip();
            }

            // by the client's Message-ID, with or without its brackets, in the API and in `relay history`
            assertThat(awaitHistory(relay, "/admin/history/messages/order-4711%40shop.example", 2))
                    .containsExactly("delivered|buyer@good.test", "accepted|null");
            assertThat(kinds(get(relay, "/admin/history/messages/%3Corder-4711%40shop.example%3E")))
                    .containsExactly("delivered|buyer@good.test", "accepted|null");
            assertThat(cli(relay, "history", "<order-4711@shop.example>")).contains("delivered")
                    .contains("buyer@good.test");
            assertThat(get(relay, "/admin/history/messages/nothing%40shop.example").get("events")).isEmpty();

            // by the Message-ID the relay added, as the recipient's copy shows it
            awaitTrue(WAIT, () -> mx.transactions().stream().anyMatch(t -> t.recipients().contains(
                    "reader@good.test")));
            String copy = new String(mx.transactions().stream().filter(t -> t.recipients().contains(
                    "reader@good.test")).findFirst().orElseThrow().data(), StandardCharsets.UTF_8);
            java.util.regex.Matcher added = java.util.regex.Pattern.compile("(?m)^Message-ID: (<[^>]+>)")
                    .matcher(copy);
            assertThat(added.find()).as(copy).isTrue();
            String path = "/admin/history/messages/" + java.net.URLEncoder.encode(added.group(1),
                    StandardCharsets.UTF_8);
            assertThat(awaitHistory(relay, path, 2)).containsExactly("delivered|reader@good.test", "accepted|null");
            assertThat(get(relay, path).get("events").get(0).get("message").asText()).isEqualTo(anonymous);
        }
    }

    @Test
    void statisticsAndHistoryMatchWhatWasSentAndWhatTheMxSaw() throws Exception {
        try (TestMx mx = TestMx.builder().script(step -> step.is("RCPT") && step.argument().contains("gone@")
                        ? Action.reply(550, "5.1.1", "no such user") : null).start();
             TestRelay relay = TestRelay.startWithAdmin("events_api", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n")) {
            String order = submit(relay, TestRelay.USER, "buyer@good.test", "gone@hard.test");
            String second = submit(relay, TestRelay.USER, "buyer@good.test");
            String newsletter = submit(relay, TestRelay.BULK_USER, "reader@good.test");

            awaitTrue(WAIT, () -> {
                try {
                    return totals(get(relay, "/admin/stats"), TestRelay.USER).getOrDefault("delivered", 0L) == 2
                            && totals(get(relay, "/admin/stats"), TestRelay.BULK_USER).getOrDefault("delivered", 0L)
                            == 1;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            awaitTrue(WAIT, () -> mx.transactions().stream().anyMatch(t -> t.recipients().contains("app@shop.test")));
            // what the MX took for these senders (the DSN to app@shop.test is the relay's own, sender '')
            assertThat(mx.transactions().stream().flatMap(t -> t.recipients().stream())
                    .filter(r -> !r.equals("app@shop.test")).sorted().toList())
                    .containsExactly("buyer@good.test", "buyer@good.test", "reader@good.test");

            // the bounce is counted again by class, and its suppression, once the write-back's follow-ups ran
            awaitTrue(WAIT, () -> {
                try {
                    return totals(get(relay, "/admin/stats?since=2h&by=hour"), TestRelay.USER).size() == 5;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            JsonNode stats = get(relay, "/admin/stats?since=2h&by=hour");
            assertThat(totals(stats, TestRelay.USER)).isEqualTo(Map.of("accepted", 2L, "delivered", 2L,
                    "bounced", 1L, "hard_bounce", 1L, "suppression_added", 1L));
            assertThat(totals(stats, TestRelay.BULK_USER)).isEqualTo(Map.of("accepted", 1L, "delivered", 1L));
            JsonNode onlyBulk = get(relay, "/admin/stats?sender=" + TestRelay.BULK_USER + "&by=day");
            assertThat(onlyBulk.get("rows")).allSatisfy(r -> assertThat(r.get("sender").asText())
                    .isEqualTo(TestRelay.BULK_USER));
            assertThat(totals(onlyBulk, TestRelay.BULK_USER)).isEqualTo(Map.of("accepted", 1L, "delivered", 1L));

            JsonNode ofOrder = get(relay, "/admin/history/messages/" + order);
            assertThat(kinds(ofOrder)).containsExactlyInAnyOrder("bounced|gone@hard.test",
                    "delivered|buyer@good.test", "accepted|null");
            assertThat(kinds(ofOrder).get(2)).isEqualTo("accepted|null"); // newest first
            JsonNode bounce = ofOrder.get("events").get(0).get("kind").asText().equals("bounced")
                    ? ofOrder.get("events").get(0) : ofOrder.get("events").get(1);
            assertThat(bounce.get("reply").asText()).contains("550", "5.1.1");
            assertThat(bounce.get("attempt").asInt()).isEqualTo(1);

            // contact history across messages, in pages of one
            JsonNode page1 = get(relay, "/admin/history/recipients/BUYER@good.test?limit=1");
            assertThat(kinds(page1)).containsExactly("delivered|buyer@good.test");
            JsonNode page2 = get(relay, "/admin/history/recipients/buyer@good.test?limit=1&before="
                    + page1.get("next").asText());
            assertThat(kinds(page2)).containsExactly("delivered|buyer@good.test");
            // newest written first: the two deliveries may be written back in either order
            assertThat(List.of(page1.get("events").get(0).get("message").asText(),
                    page2.get("events").get(0).get("message").asText())).containsExactlyInAnyOrder(order, second);
            assertThat(page1.get("events").get(0).get("id").asLong())
                    .isGreaterThan(page2.get("events").get(0).get("id").asLong());
            assertThat(page2.get("next").isNull()).isTrue();

            String table = cli(relay, "stats", "--sender", TestRelay.USER);
            assertThat(table).startsWith("SENDER").contains(TestRelay.USER).doesNotContain(TestRelay.BULK_USER);
            assertThat(cli(relay, "history", "gone@hard.test")).contains("bounced", order, "550 5.1.1");
            JsonNode json = JSON.readTree(cli(relay, "history", newsletter, "--json"));
            assertThat(kinds(json)).containsExactly("delivered|reader@good.test", "accepted|null");
        }
    }
}
