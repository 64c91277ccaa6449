package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** What the webhook ITs share: the admin API calls, message submission and the expected events. */
final class Hooks {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The kinds an endpoint added without --kinds gets: accepted, delivered, deferred, bounced, expired. */
    static final String DEFAULT_KINDS = "(1, 2, 3, 4, 5)";

    private Hooks() {}

    /** The endpoint's id and secret. */
    record Added(long id, String secret) {}

    static Added add(InetSocketAddress http, String sender, String url) throws Exception {
        JsonNode answer = admin(http, "POST", "webhooks", JSON.createObjectNode().put("sender", sender)
                .put("url", url).toString(), 200);
        return new Added(answer.get("endpoint").get("id").asLong(), answer.get("endpoint").get("secret").asText());
    }

    static JsonNode admin(InetSocketAddress http, String method, String path, String body, int status)
            throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getPort()
                        + "/admin/" + path)).header("Authorization", "Bearer " + TestRelay.ADMIN_TOKEN)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    static String metrics(InetSocketAddress http) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of one Prometheus series line starting with {@code prefix} (0 when absent). */
    static double series(String scrape, String prefix) {
        return scrape.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(
                l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Sends {@code count} one-recipient messages over {@code sessions} connections; all must get 250. */
    static void send(InetSocketAddress smtp, String run, int count, int sessions) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int s = 0; s < sessions; s++) {
            Thread t = new Thread(() -> {
                try (SmtpTestClient c = SmtpTestClient.connect(smtp)) {
                    assertThat(c.reply().code()).isEqualTo(220);
                    assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
                    for (int n = next.getAndIncrement(); n < count; n = next.getAndIncrement()) {
                        assertThat(c.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
                        assertThat(c.command("RCPT TO:<r" + n + "@example.test>").code()).isEqualTo(250);
                        assertThat(c.command("DATA").code()).isEqualTo(354);
                        assertThat(c.command("Message-ID: <" + n + "." + run + "@hooks.test>\r\nSubject: x\r\n\r\n"
                                + "body\r\n.").code()).isEqualTo(250);
                    }
                    c.command("QUIT");
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "send-" + s);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        assertThat(failures).isEmpty();
    }

    /** Ids of the stored events an endpoint with the default kinds must get. */
    static Set<Long> expected(List<String> rows) {
        return rows.stream().map(Long::parseLong).collect(Collectors.toSet());
    }

    static void ignore(IOException e) {
        // closing
    }
}
