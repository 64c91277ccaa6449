package dev.relay.engine.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
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
 * The dashboards in grafana/ are real: every metric name any panel queries exists in a scrape of a running
 * relay that has taken some mail. Also the health endpoints, and {@code promtool check metrics} when installed.
 */
class GrafanaDashboardsIT {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "rate", "irate", "increase", "avg", "max", "min",
            "count", "by", "without", "on", "ignoring", "group_left", "group_right", "histogram_quantile",
            "label_values", "topk", "bottomk", "offset", "and", "or", "unless", "time", "clamp_min", "abs");

    @Test
    void everyMetricInEveryDashboardIsScraped() throws Exception {
        try (TestRelay relay = TestRelay.startWithDatabase("grafana", "")) {
            try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
                client.reply();
                client.command("EHLO metrics.test");
                client.command("MAIL FROM:<a@shop.test>");
                client.command("RCPT TO:<b@example.test>");
                client.command("DATA");
                assertThat(client.command("Subject: m\r\n\r\nx\r\n.").code()).isEqualTo(250);
            }
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + relay.http().getPort();
            assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(http, base + "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"ready\"", "\"database\":true");
            HttpResponse<String> scrape = get(http, base + "/metrics");
            assertThat(scrape.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain"));
            Set<String> scraped = scrapedNames(scrape.body());

            List<Path> dashboards;
            try (Stream<Path> files = Files.list(grafanaDirectory().resolve("dashboards"))) {
                dashboards = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
            assertThat(dashboards).isNotEmpty();
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
            promtoolCheck(scrape.body());
        }
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

    private static void promtoolCheck(String scrape) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            return; // optional: Debian package "prometheus"
        }
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        check.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as("promtool check metrics: %s", output).isZero();
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
