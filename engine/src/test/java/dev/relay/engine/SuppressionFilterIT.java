package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The suppression membership filter on a real relay and PostgreSQL: a recipient on no list costs no query, an entry
 * the database wrote by itself (as another node or the write-back would) is refused once the filter's refresh read
 * it, and one added through this node's admin API is refused at once. Queries are counted by the relay's own metric.
 */
class SuppressionFilterIT {
    /** cache_ttl 3s: the filter reads the list every second and is trusted for 3 s after a read began. */
    private static final String SECTIONS = TestRelay.NO_DELIVERY + "suppression:\n  cache_ttl: 3s\n";
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @Test
    void cleanRecipientsCostNoQueryAndEntriesFromTheDatabaseOrTheAdminApiAreRefused() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("suppression_filter", SECTIONS)) {
            relay.database().rows("INSERT INTO suppression(scope, address, reason, created_by)"
                    + " VALUES ('*', 'before-start@example.test', 'hard_bounce', 'bounce') RETURNING address");
            Await.awaitTrue("the filter loaded and fresh", LIMIT, () -> metric(relay,
                    "relay_suppression_filter_fresh") == 1 && metric(relay, "relay_suppression_filter_entries") >= 1);

            double queries = lookups(relay, "query");
            double clears = lookups(relay, "filter_clear");
            for (int i = 0; i < 5; i++) {
                assertThat(SuppressionIT.rcpt(relay, null, "clean" + i + "@example.test").code()).isEqualTo(250);
            }
            assertThat(lookups(relay, "query")).as("queries for clean recipients").isEqualTo(queries);
            assertThat(lookups(relay, "filter_clear")).isEqualTo(clears + 5);
            // a listed one still goes to the database
            assertThat(SuppressionIT.rcpt(relay, null, "before-start@example.test").code()).isEqualTo(550);
            assertThat(lookups(relay, "query")).isEqualTo(queries + 1);

            // written by the database itself (another node, the write-back's hard bounce): refused once read
            relay.database().rows("INSERT INTO suppression(scope, address, reason, created_by)"
                    + " VALUES ('*', 'from-sql@example.test', 'hard_bounce', 'bounce') RETURNING address");
            Await.awaitTrue("refused after the refresh", LIMIT, () -> rcptCode(relay, "from-sql@example.test") == 550);

            // added through this node: refused at once, whatever the refresh
            SuppressionIT.Http added = SuppressionIT.http(relay, "POST", "/admin/suppression",
                    "{\"address\": \"Via-Api@example.test\", \"reason\": \"unsubscribe\"}");
            assertThat(added.status()).as(added.body()).isEqualTo(200);
            assertThat(SuppressionIT.rcpt(relay, null, "via-api@example.test").code()).isEqualTo(550);
            assertThat(SuppressionIT.rcpt(relay, null, "clean-after@example.test").code()).isEqualTo(250);
        }
    }

    private static int rcptCode(TestRelay relay, String address) {
        try {
            return SuppressionIT.rcpt(relay, null, address).code();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double lookups(TestRelay relay, String result) {
        return metric(relay, "relay_suppression_lookups_total", "result=\"" + result + "\"");
    }

    static double metric(TestRelay relay, String name) {
        return metric(relay, name, "");
    }

    /** The value of the series {@code name} whose labels contain {@code label} (every series has a node label). */
    private static double metric(TestRelay relay, String name, String label) {
        String text;
        try {
            text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}\n]*" + Pattern.quote(label)
                + "[^}\n]*\\} (\\S+)$").matcher(text);
        assertThat(m.find()).as(() -> name + "{" + label + "} in /metrics: " + text.lines()
                .filter(l -> l.contains("suppression")).toList()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
