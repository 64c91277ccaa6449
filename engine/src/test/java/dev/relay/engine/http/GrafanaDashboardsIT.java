package dev.relay.engine.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestDnsServer;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dashboards in grafana/ are real: every metric name any panel or variable queries exists in a scrape of a
 * running relay that has accepted mail and delivered it, through a real DNS lookup and its connection pool, to a
 * {@link TestMx} (one recipient greylisted, one message refused), so delivery, pool, queue and DNS series are
 * really there. Also the health endpoints, {@code promtool check metrics} on the scrape when promtool is installed
 * (Debian package {@code prometheus}), and the two exposition formats over real HTTP.
 */
class GrafanaDashboardsIT {
    private static final int MESSAGES = 20;
    private static final String NODE = "grafana-node";
    /** Micrometer's standard JVM/system names (kept for community dashboards) that promtool's linter dislikes. */
    private static final List<String> LINT_ACCEPTED = List.of("process_cpu_time_ns_total ", "system_cpu_count ");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "rate", "irate", "increase", "avg", "max", "min",
            "count", "by", "without", "on", "ignoring", "group_left", "group_right", "histogram_quantile",
            "label_values", "topk", "bottomk", "offset", "and", "or", "unless", "time", "clamp_min", "abs");

    @Test
    void everyMetricInEveryDashboardIsScraped() throws Exception {
        try (TestDnsServer dns = new TestDnsServer().a("mx.test", 300, "127.0.0.1");
             TestMx mx = TestMx.builder().script(step -> step.is("RCPT") && step.argument().contains("later@")
                     ? TestMx.Action.reply(451, "4.7.1", "greylisted, try again later") : null).start();
             TestRelay relay = TestRelay.startWithDatabase("grafana", "  relay_networks: [127.0.0.1/32]\n",
                     "delivery:\n"
                     + "  routes: {\"*\": \"mx.test:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  dns: {servers: [\"127.0.0.1:" + dns.port() + "\"]}\n"
                     + "  poll_interval: 200ms\n  node_name: " + NODE + "\n")) {
            String site = "mx.test:" + mx.address().getPort();
            for (int i = 0; i < MESSAGES; i++) {
                Submissions.submit(relay.smtp(), "app@shop.test", "<" + i + ".grafana@shop.test>",
                        "user" + i + "@example.test");
            }
            Submissions.submit(relay.smtp(), "app@shop.test", "<later.grafana@shop.test>", "later@example.test");
            try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
                client.reply();
                client.command("EHLO metrics.test");
                assertThat(client.command("MAIL FROM:<a@shop.test> SIZE=999999999999").code()).isEqualTo(552);
                assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(250);
                assertThat(client.command("RCPT TO:<not an address>").code()).isEqualTo(501);
                assertThat(client.command("DATA").code()).isEqualTo(554);
            }
            try (SmtpTestClient outsider = new SmtpTestClient(relay.smtp(), InetAddress.getByName("127.0.0.2"))) {
                outsider.reply();
                outsider.command("EHLO outside.test");
                assertThat(outsider.command("MAIL FROM:<a@outside.test>").code()).isEqualTo(250);
                assertThat(outsider.command("RCPT TO:<b@example.test>").code()).isEqualTo(554);
            }
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + relay.http().getPort();
            assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(http, base + "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"ready\"", "\"database\":true");

            // real delivery traffic: every message through DNS and the pool to the MX, one greylisted
            String delivered = "relay_delivery_outcomes_total{node=\"" + NODE + "\",outcome=\"delivered\",site=\""
                    + site + "\"}";
            String deferred = delivered.replace("\"delivered\"", "\"deferred\"");
            String scrape = awaitScrape(http, base, body -> value(body, delivered) >= MESSAGES
                    && value(body, deferred) >= 1);
            assertThat(mx.transactions()).hasSizeGreaterThanOrEqualTo(MESSAGES);
            assertThat(value(scrape, "relay_messages_accepted_total{node=\"" + NODE + "\"}"))
                    .isEqualTo(MESSAGES + 1);
            assertThat(scrape).contains("relay_delivery_pool_idle{node=\"" + NODE + "\",site=\"" + site + "\"}",
                    "relay_delivery_duration_seconds_bucket{", "site=\"" + site + "\"",
                    "relay_queue_ready{node=\"" + NODE + "\",priority=\"transactional\",site=\"" + site + "\"}",
                    "relay_netty_eventloop_pending_tasks{group=\"io\"",
                    "relay_netty_allocator_used_bytes{memory=\"direct\"");
            // present (-1: absent); its value depends on how far the write-back of the last deliveries has got
            assertThat(value(scrape, "relay_delivery_unwritten{node=\"" + NODE + "\"}")).isGreaterThanOrEqualTo(0);
            for (String reason : List.of("size", "no_recipients", "relay_denied")) {
                assertThat(value(scrape, "relay_messages_rejected_total{node=\"" + NODE + "\",reason=\"" + reason
                        + "\"}")).as("rejected for %s", reason).isEqualTo(1);
            }
            // the Senders dashboard's series, for the sender of this traffic (no AUTH: "none")
            String sender = "relay_sender_events_total{kind=\"%s\",node=\"" + NODE + "\",system=\"none\"}";
            assertThat(value(scrape, sender.formatted("received"))).isEqualTo(MESSAGES + 1);
            assertThat(value(scrape, sender.formatted("delivered"))).isGreaterThanOrEqualTo(MESSAGES);
            assertThat(value(scrape, sender.formatted("deferred"))).isGreaterThanOrEqualTo(1);
            assertThat(value(scrape, "cache_gets_total{cache=\"relay.dns.address\",node=\"" + NODE
                    + "\",result=\"miss\"}")).as("a real DNS lookup for mx.test").isGreaterThanOrEqualTo(1);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "grafana-scrape.prom"), scrape); // to read when this test fails
            Set<String> scraped = scrapedNames(scrape);

            List<Path> dashboards;
            try (Stream<Path> files = Files.list(grafanaDirectory().resolve("dashboards"))) {
                dashboards = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
            assertThat(dashboards).extracting(p -> p.getFileName().toString())
                    .contains("relay-overview.json", "relay-site.json", "relay-capacity.json", "relay-senders.json");
            ObjectMapper json = new ObjectMapper();
            for (Path dashboard : dashboards) {
                Set<String> used = new TreeSet<>();
                for (String expr : expressions(json.readTree(dashboard.toFile()))) {
                    used.addAll(metricNames(expr));
                }
                assertThat(used).as("metrics queried by %s", dashboard.getFileName()).isNotEmpty();
                assertThat(scraped).as("scrape contains every metric of %s", dashboard.getFileName())
                        .containsAll(used);
            }
            promtoolCheck(scrape);
        }
    }

    @Test
    void metricsSpeakOpenMetricsWhenAskedAndPrometheusTextOtherwise() throws Exception {
        try (TestRelay relay = TestRelay.startWithDatabase("openmetrics", "",
                "delivery:\n  enabled: false\n  node_name: " + NODE + "\n")) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<om@shop.test>", "user@example.test");
            HttpClient http = HttpClient.newHttpClient();
            URI metrics = URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics");

            HttpResponse<String> text = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(text.statusCode()).isEqualTo(200);
            assertThat(text.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(text.body()).contains("# TYPE relay_messages_accepted_total counter")
                    .doesNotContain("# EOF");

            // what Prometheus 2.x sends: OpenMetrics preferred, text format as a fallback
            HttpResponse<String> open = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
                    .header("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,"
                            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1")
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(open.statusCode()).isEqualTo(200);
            assertThat(open.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/openmetrics-text; version=1.0.0"));
            assertThat(open.body()).contains("# TYPE relay_messages_accepted counter",
                    "relay_messages_accepted_total{node=\"" + NODE + "\"} 1.0").endsWith("# EOF\n");
            assertThat(scrapedNames(open.body())).containsAll(scrapedNames(text.body()).stream()
                    .filter(n -> n.startsWith("relay_")).toList());
        }
    }

    /** Scrapes until {@code done} holds (delivery is asynchronous), at most 60 s. */
    private static String awaitScrape(HttpClient http, String base, java.util.function.Predicate<String> done)
            throws Exception {
        HttpResponse<String> scrape = Await.awaitValue(Duration.ofSeconds(60), () -> get(http, base + "/metrics"),
                s -> done.test(s.body()));
        assertThat(scrape.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        assertThat(done.test(scrape.body())).as("delivery metrics reached their counts").isTrue();
        return scrape.body();
    }

    /** The value of the series written exactly as {@code series} (name and labels in scrape order), else -1. */
    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
            }
        }
        return -1;
    }

    @Test
    void metricNamesAreFoundInsidePromql() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (le) (rate(relay_x_bucket{node=~\"$node\"}[5m])))"))
                .containsExactly("relay_x_bucket");
        assertThat(metricNames("sum(rate(a_total[5m])) / sum(rate(b_count{area=\"heap\"}[5m]))"))
                .containsExactly("a_total", "b_count");
        assertThat(metricNames("label_values(relay_smtp_connections_total, node)"))
                .containsExactly("relay_smtp_connections_total");
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> scrapedNames(String body) {
        Set<String> names = new TreeSet<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = IDENTIFIER.matcher(line);
            if (m.lookingAt()) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static List<String> expressions(JsonNode dashboard) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.has("query")) {
                out.add(variable.path("query").asText());
            }
        }
        return out;
    }

    /** Metric names in a PromQL expression: identifiers outside label matchers, grouping lists and ranges. */
    static Set<String> metricNames(String expr) {
        String stripped = expr
                .replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\{[^}]*\\}", " ")
                .replaceAll("\\[[^]]*\\]", " ")
                .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", " ")
                .replaceAll("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)", " $1 ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(stripped);
        while (m.find()) {
            String word = m.group();
            boolean partOfNumber = m.start() > 0 && (Character.isDigit(stripped.charAt(m.start() - 1))
                    || stripped.charAt(m.start() - 1) == '.');
            if (!PROMQL_WORDS.contains(word) && !partOfNumber) {
                names.add(word);
            }
        }
        return names;
    }

    /**
     * Parse errors always fail; lint problems fail unless they concern a metric Micrometer names this way on
     * purpose and that community JVM dashboards query by that name ({@link #LINT_ACCEPTED}). Exit code 3 is
     * promtool's "lint problems only", 1 a parse failure.
     */
    private static void promtoolCheck(String scrape) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            return; // optional: Debian package "prometheus" (.ci/run installs it)
        }
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        check.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        if (check.exitValue() == 0) {
            return;
        }
        assertThat(check.exitValue()).as("promtool check metrics: %s", output).isEqualTo(3);
        for (String problem : output.split("\n")) {
            if (!problem.isBlank()) {
                assertThat(LINT_ACCEPTED).as("promtool check metrics: %s", problem).anyMatch(problem::startsWith);
            }
        }
    }

    private static Path grafanaDirectory() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("grafana").resolve("dashboards"))) {
                return p.resolve("grafana");
            }
        }
        throw new AssertionError("no grafana/dashboards above " + Path.of("").toAbsolutePath());
    }
}
