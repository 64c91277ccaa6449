package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import dev.relay.storage.testing.CuttableProxy;
import dev.relay.storage.testing.TestDatabase;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The suppression list end to end on a real relay: entries added and removed through the admin API, RCPT refused
 * with the reason and date for the sender's scope and for everyone under a global entry, the export read back by a
 * strict CSV parser, and a database outage at RCPT answered 451 4.3.0, never accepted unchecked.
 */
class SuppressionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUTH_WITHOUT_TLS = "  auth: { users_file: users.yaml, require_tls: false }\n";

    record Http(int status, String body, @Nullable String contentType) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static Http http(TestRelay relay, String method, String path, @Nullable String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.http().getPort()
                        + path))
                .header("Authorization", "Bearer " + TestRelay.ADMIN_TOKEN)
                .header("X-Relay-Actor", "carol")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Http(r.statusCode(), r.body(), r.headers().firstValue("content-type").orElse(null));
    }

    /** RCPT TO {@code address} in a fresh session, as {@code user} (null: unauthenticated, from loopback). */
    static SmtpTestClient.Reply rcpt(TestRelay relay, @Nullable String user, String address) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            c.reply();
            c.command("EHLO client.test");
            if (user != null) {
                String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestRelay.PASSWORD)
                        .getBytes(StandardCharsets.UTF_8));
                assertThat(c.command("AUTH PLAIN " + plain).code()).isEqualTo(235);
            }
            // an authenticated system sends as its own domain (connected systems, issue 15)
            String domain = user == null ? "shop.test" : TestRelay.senderDomain(user);
            assertThat(c.command("MAIL FROM:<sender@" + domain + ">").code()).isEqualTo(250);
            return c.command("RCPT TO:<" + address + ">");
        }
    }

    @Test
    void addedAddressesAreRefusedAtRcptForTheirScopeAndGlobalOnesForEveryone() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("suppression", AUTH_WITHOUT_TLS, TestRelay.NO_DELIVERY)) {
            assertThat(rcpt(relay, TestRelay.USER, "dead@example.test").code()).isEqualTo(250); // cached: clear
            Http added = http(relay, "POST", "/admin/suppression", "{\"address\": \"Dead@Example.test\","
                    + " \"scope\": \"" + TestRelay.USER + "\", \"reason\": \"hard_bounce\","
                    + " \"detail\": \"550 5.1.1 no such user\"}");
            assertThat(added.status()).as(added.body()).isEqualTo(200);
            assertThat(added.json().get("change").asText()).isEqualTo("added");
            String today = LocalDate.now(ZoneOffset.UTC).toString();

            // refused at once on this node (its cache is invalidated), with the reason and date
            SmtpTestClient.Reply refused = rcpt(relay, TestRelay.USER, "dead@example.test");
            assertThat(refused.code()).isEqualTo(550);
            assertThat(refused.text()).isEqualTo("5.7.1 <dead@example.test>: suppressed (hard_bounce since "
                    + today + ")");
            assertThat(rcpt(relay, TestRelay.USER, "alive@example.test").code()).isEqualTo(250);
            // another sender's scope is not affected, nor are unauthenticated clients
            assertThat(rcpt(relay, TestRelay.BULK_USER, "dead@example.test").code()).isEqualTo(250);
            assertThat(rcpt(relay, null, "dead@example.test").code()).isEqualTo(250);

            // a global entry applies to every sender, even one whose clear answer was cached
            assertThat(http(relay, "POST", "/admin/suppression", "{\"address\": \"dead@example.test\","
                    + " \"reason\": \"complaint\"}").status()).isEqualTo(200);
            for (String user : new String[] {TestRelay.USER, TestRelay.BULK_USER, null}) {
                assertThat(rcpt(relay, user, "dead@example.test").text()).as("as " + user)
                        .startsWith("5.7.1 <dead@example.test>: suppressed (");
            }
            // the sender's own entry names its own reason
            assertThat(rcpt(relay, TestRelay.USER, "dead@example.test").text()).contains("hard_bounce");
            assertThat(rcpt(relay, TestRelay.BULK_USER, "dead@example.test").text()).contains("complaint");

            JsonNode shown = http(relay, "GET", "/admin/suppression/dead@example.test", null).json();
            assertThat(shown.get("entries")).hasSize(2);

            // export: CSV, read by a strict parser
            Http csv = http(relay, "GET", "/admin/suppression/export?format=csv", null);
            assertThat(csv.status()).isEqualTo(200);
            assertThat(csv.contentType()).startsWith("text/csv");
            List<List<String>> rows = Csv.parse(csv.body());
            assertThat(rows.get(0)).containsExactly("address", "scope", "reason", "category", "created_at",
                    "expires_at", "created_by", "detail");
            assertThat(rows.subList(1, rows.size())).anySatisfy(r -> assertThat(r).startsWith("dead@example.test",
                    TestRelay.USER, "hard_bounce").contains("550 5.1.1 no such user", "carol")
                    .anyMatch(f -> f.startsWith(today + "T")));
            assertThat(rows).hasSize(3);
            // JSON, filtered
            JsonNode exported = JSON.readTree(http(relay, "GET",
                    "/admin/suppression/export?format=json&reason=complaint&since=1h", null).body());
            assertThat(exported).hasSize(1);
            assertThat(exported.get(0).get("scope").asText()).isEqualTo("*");

            // removal lifts it at once on this node: the global one first, then the sender's
            assertThat(http(relay, "DELETE", "/admin/suppression/dead@example.test", null).status()).isEqualTo(200);
            assertThat(rcpt(relay, TestRelay.BULK_USER, "dead@example.test").code()).isEqualTo(250);
            assertThat(rcpt(relay, TestRelay.USER, "dead@example.test").code()).isEqualTo(550);
            assertThat(http(relay, "DELETE", "/admin/suppression/dead@example.test?scope=" + TestRelay.USER, null)
                    .status()).isEqualTo(200);
            assertThat(rcpt(relay, TestRelay.USER, "dead@example.test").code()).isEqualTo(250);
            assertThat(http(relay, "DELETE", "/admin/suppression/dead@example.test?scope=" + TestRelay.USER, null)
                    .status()).isEqualTo(404);
        }
    }

    @Test
    void listPagesWithACursorAndRefusesBadInput() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("suppression_list", TestRelay.NO_DELIVERY)) {
            for (int i = 0; i < 5; i++) {
                assertThat(http(relay, "POST", "/admin/suppression", "{\"address\": \"u" + i + "@example.test\"}")
                        .status()).isEqualTo(200);
            }
            Set<String> seen = new HashSet<>();
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = http(relay, "GET", "/admin/suppression?limit=2&reason=manual"
                        + (cursor == null ? "" : "&cursor=" + cursor), null).json();
                page.get("suppressions").forEach(e -> seen.add(e.get("address").asText()));
                cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
                pages++;
            } while (cursor != null && pages < 10);
            assertThat(pages).isEqualTo(3);
            assertThat(seen).hasSize(5);
            assertThat(http(relay, "GET", "/admin/suppression?cursor=garbage", null).status()).isEqualTo(400);
            assertThat(http(relay, "GET", "/admin/suppression?reason=bogus", null).json().get("error").asText())
                    .contains("unknown reason");
            assertThat(http(relay, "POST", "/admin/suppression", "{\"address\": \"no domain\"}").status())
                    .isEqualTo(400);
            assertThat(http(relay, "GET", "/admin/suppression/export?format=xml", null).status()).isEqualTo(400);
        }
    }

    @Test
    void aDatabaseOutageAtRcptIsATemporaryFailureNeverAnAcceptance() throws Exception {
        try (TestDatabase database = TestDatabase.create("suppression_outage");
                CuttableProxy proxy = CuttableProxy.inFrontOf(database.url())) {
            try (TestRelay relay = TestRelay.startWithAdminOn(proxy.rewrite(database.url()), AUTH_WITHOUT_TLS,
                    TestRelay.NO_DELIVERY + "suppression:\n  lookup_timeout: 2s\n  cache_ttl: 1s\n")) {
                assertThat(rcpt(relay, TestRelay.USER, "before@example.test").code()).isEqualTo(250);
                proxy.cut();
                // the membership filter answers "on no list" for one cache_ttl after its last read; then it stops
                // (its reads fail), and RCPT asks the database
                Await.awaitTrue("the filter gone stale", Duration.ofSeconds(30),
                        () -> SuppressionFilterIT.metric(relay, "relay_suppression_filter_fresh") == 0);
                SmtpTestClient.Reply reply = rcpt(relay, TestRelay.USER, "during@example.test");
                assertThat(reply.code()).isEqualTo(451);
                assertThat(reply.text()).startsWith("4.3.0");
                proxy.restore();
                // the failure was not cached: asked again, accepted once the pool has a live connection again
                assertThat(Await.until(Duration.ofSeconds(30), () -> {
                    try {
                        return rcpt(relay, TestRelay.USER, "during@example.test").code() == 250;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })).isTrue();
            }
        }
    }

    /** What one {@code relay suppression ...} run printed and returned. */
    record Run(int code, String out, String err) {}

    /** Runs {@code relay suppression ARGS} through {@link Main#run}, configured for {@code relay}'s HTTP port. */
    static Run cli(TestRelay relay, String... args) throws Exception {
        Path config = relay.directory().resolve("cli.yaml");
        Files.writeString(config, "http:\n  listen: 127.0.0.1:" + relay.http().getPort()
                + "\n  admin_token_file: admin.token\n");
        List<String> all = new ArrayList<>(List.of("suppression"));
        all.addAll(List.of(args));
        all.add("--config");
        all.add(config.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all.toArray(String[]::new), Map.of("USER", "dave"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCliAddsListsShowsExportsAndRemoves() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("suppression_cli", TestRelay.NO_DELIVERY)) {
            Run add = cli(relay, "add", "Gone@Example.test", "--scope", "shop", "--reason", "unsubscribe",
                    "--detail", "list-unsubscribe, one click");
            assertThat(add.code()).as(add.err()).isZero();
            assertThat(add.out()).startsWith("added: gone@example.test (scope shop, unsubscribe since ");
            assertThat(cli(relay, "add", "gone@example.test", "--scope", "shop").out()).startsWith("unchanged:");
            assertThat(cli(relay, "add", "other@example.test").code()).isZero();

            Run list = cli(relay, "list", "--reason", "unsubscribe");
            assertThat(list.out()).startsWith("ADDRESS").contains("gone@example.test  shop   unsubscribe")
                    .contains("dave").doesNotContain("other@example.test");
            Run paged = cli(relay, "list", "--limit", "1", "--json");
            JsonNode page = JSON.readTree(paged.out());
            assertThat(page.get("suppressions")).hasSize(1);
            assertThat(page.get("next_cursor").isNull()).isFalse();
            Run next = cli(relay, "list", "--limit", "1", "--cursor", page.get("next_cursor").asText(), "--json");
            assertThat(JSON.readTree(next.out()).get("next_cursor").isNull()).isTrue();

            assertThat(cli(relay, "show", "gone@example.test").out()).contains("list-unsubscribe, one click");
            Run csv = cli(relay, "export", "--scope", "shop");
            assertThat(csv.code()).isZero();
            List<List<String>> rows = Csv.parse(csv.out());
            assertThat(rows).hasSize(2);
            assertThat(rows.get(1)).startsWith("gone@example.test", "shop", "unsubscribe").endsWith("dave",
                    "list-unsubscribe, one click");
            assertThat(JSON.readTree(cli(relay, "export", "--format", "json").out())).hasSize(2);

            assertThat(cli(relay, "remove", "gone@example.test", "--scope", "shop").out())
                    .isEqualTo("removed: gone@example.test (scope shop)\n");
            Run again = cli(relay, "remove", "gone@example.test", "--scope", "shop");
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("not suppressed for scope shop").contains("HTTP 404");
            Run bad = cli(relay, "add", "x@example.test", "--reason", "bogus");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("unknown reason 'bogus'");
            assertThat(cli(relay, "list", "--format", "csv").code()).isEqualTo(2);
        }
    }

    /** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes; anything else fails the test. */
    static final class Csv {
        static List<List<String>> parse(String text) {
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            int i = 0;
            boolean quoted = false;
            boolean afterQuote = false;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    if (c == '"') {
                        quoted = false;
                        afterQuote = true;
                    } else {
                        field.append(c);
                    }
                } else if (c == '"') {
                    if (field.length() > 0 || afterQuote) {
                        throw new AssertionError("quote inside an unquoted field at " + i);
                    }
                    quoted = true;
                } else if (c == ',') {
                    row.add(field.toString());
                    field.setLength(0);
                    afterQuote = false;
                } else if (c == '\r') {
                    if (i + 1 >= text.length() || text.charAt(i + 1) != '\n') {
                        throw new AssertionError("bare CR at " + i);
                    }
                    row.add(field.toString());
                    field.setLength(0);
                    rows.add(row);
                    row = new ArrayList<>();
                    afterQuote = false;
                    i += 2;
                    continue;
                } else if (c == '\n') {
                    throw new AssertionError("bare LF at " + i);
                } else {
                    if (afterQuote) {
                        throw new AssertionError("text after a closing quote at " + i);
                    }
                    field.append(c);
                }
                i++;
            }
            if (quoted || field.length() > 0 || !row.isEmpty()) {
                throw new AssertionError("the last record does not end with CRLF");
            }
            for (List<String> r : rows) {
                if (r.size() != rows.get(0).size()) {
                    throw new AssertionError("record with " + r.size() + " fields: " + r);
                }
            }
            return rows;
        }
    }
}
