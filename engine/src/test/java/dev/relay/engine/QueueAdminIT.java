package dev.relay.engine;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import io.r2dbc.pool.ConnectionPool;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Queue administration end to end: a real relay with its admin API on, mail queued against a real TestMx that
 * defers (or stalls) on command, and the real {@code relay queue} entry point ({@link Main#run}) talking HTTP to it.
 * Retries are an hour apart, so whatever is delivered within the test was released by the command under test.
 */
class QueueAdminIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** An MX that answers 451 to RCPTs for deferring.test while {@code deferring} is set, and stalls slow.test. */
    private static TestMx mx(AtomicBoolean deferring) {
        return TestMx.builder().script(step -> {
            if (step.is("RCPT") && step.argument().contains("@deferring.test") && deferring.get()) {
                return Action.reply(451, "4.7.1", "try again later");
            }
            return null;
        }).start();
    }

    private static TestRelay relay(String label, TestMx mx) {
        return TestRelay.startWithAdmin(label, "delivery:\n"
                + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                + "  poll_interval: 200ms\n"
                + "  retry: {schedule: [1h], jitter: 0, greylist_retry: 1h}\n");
    }

    private static String site(TestMx mx) {
        return "127.0.0.1:" + mx.address().getPort();
    }

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    private static Run cli(TestRelay relay, String... args) {
        return cli(relay, Map.of(), args);
    }

    /**
     * Runs {@code relay queue ARGS --config cli.yaml}: the relay listens on a port the OS chose, so the CLI gets a
     * configuration of its own naming that port and the same token file, as an operator's relay.yaml would.
     */
    private static Run cli(TestRelay relay, Map<String, String> env, String... args) {
        Path config = relay.directory().resolve("cli.yaml");
        try {
            Files.writeString(config, "http:\n  listen: 127.0.0.1:" + relay.http().getPort()
                    + "\n  admin_token_file: admin.token\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return run(config, env, args);
    }

    private static Run run(Path config, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("queue"));
        all.addAll(List.of(args));
        all.add("--config");
        all.add(config.toString());
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("USER", "alice");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all.toArray(String[]::new), environment, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> http(TestRelay relay, String method, String path, String auth)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.http().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long events(TestRelay relay, EventKind kind) {
        ConnectionPool pool = relay.database().pool(1);
        try {
            return Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(
                                    "SELECT count(*) FROM event WHERE kind = $1").bind(0, kind.code()).execute())
                            .flatMap(r -> r.map((row, meta) -> row.get(0, Long.class))),
                    io.r2dbc.spi.Connection::close).blockLast(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }

    /** Submits one message and returns its queue id, read back through the CLI. */
    private static String queued(TestRelay relay, String recipient) throws Exception {
        Submissions.submit(relay.smtp(), "app@shop.test", "<" + recipient + ">", recipient);
        String[] id = new String[1];
        awaitTrue(WAIT, () -> {
            try {
                for (JsonNode e : cli(relay, "list", "--json").json().get("recipients")) {
                    if (e.get("recipient").asText().equals(recipient)) {
                        id[0] = e.get("id").asText();
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return id[0];
    }

    private static void awaitDeferred(TestRelay relay, String recipient) throws InterruptedException {
        awaitTrue(WAIT, () -> {
            try {
                JsonNode list = cli(relay, "list", "--state", "deferred", "--json").json().get("recipients");
                return list.size() == 1 && list.get(0).get("recipient").asText().equals(recipient);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void theApiNeedsTheTokenAndTheCliSaysWhatIsWrong() throws Exception {
        AtomicBoolean deferring = new AtomicBoolean(true);
        try (TestMx mx = mx(deferring); TestRelay relay = relay("admin_token", mx)) {
            HttpResponse<String> none = http(relay, "GET", "/admin/queue/summary", null);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"relay-admin\"");
            assertThat(JSON.readTree(none.body()).get("error").asText()).contains("authentication required");
            assertThat(http(relay, "GET", "/admin/queue/summary", "Bearer wrong-token-wrong-token").statusCode())
                    .isEqualTo(403);
            assertThat(http(relay, "GET", "/admin/queue/summary", "Basic abc").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = http(relay, "GET", "/admin/queue/summary", "Bearer " + TestRelay.ADMIN_TOKEN);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(JSON.readTree(ok.body()).get("recipients").asLong()).isZero();
            assertThat(http(relay, "GET", "/admin/nothing", "Bearer " + TestRelay.ADMIN_TOKEN).statusCode())
                    .isEqualTo(404);
            assertThat(http(relay, "POST", "/admin/queue/summary", "Bearer " + TestRelay.ADMIN_TOKEN).statusCode())
                    .isEqualTo(405);
            assertThat(http(relay, "GET", "/admin/queue/messages/nonsense", "Bearer " + TestRelay.ADMIN_TOKEN)
                    .statusCode()).isEqualTo(400);

            Path wrong = relay.directory().resolve("wrong.token");
            Files.writeString(wrong, "not-the-right-token-at-all\n");
            Run refused = cli(relay, "summary", "--token-file", wrong.toString());
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("wrong admin token (HTTP 403)");
            Run fromEnv = cli(relay, Map.of("RELAY_ADMIN_TOKEN", TestRelay.ADMIN_TOKEN), "summary");
            assertThat(fromEnv.code()).isZero();
            assertThat(fromEnv.out()).isEqualTo("the queue is empty\n");

            assertThat(cli(relay).code()).isEqualTo(2);
            assertThat(cli(relay, "frobnicate").err()).contains("unknown queue command 'frobnicate'");
            assertThat(cli(relay, "list", "--state", "lost").code()).isEqualTo(2);
            assertThat(cli(relay, "show", "not-an-id").err()).contains("not a queue id");
            assertThat(cli(relay, "suspend", "x.example", "--for", "soon").code()).isEqualTo(2);
            assertThat(cli(relay, "flush", "--limit", "3").err()).contains("--limit does not apply");
            Run unreachable = cli(relay, "summary", "--url", "http://127.0.0.1:1");
            assertThat(unreachable.code()).isEqualTo(1);
            assertThat(unreachable.err()).contains("cannot reach the relay's admin API");
        }
        try (TestRelay plain = TestRelay.startWithDatabase("admin_off", "")) {
            HttpResponse<String> off = http(plain, "GET", "/admin/queue/summary", "Bearer " + TestRelay.ADMIN_TOKEN);
            assertThat(off.statusCode()).isEqualTo(404);
            assertThat(off.body()).contains("the admin API is disabled: set http.admin_token_file");
            Path bare = plain.directory().resolve("bare.yaml");
            Files.writeString(bare, "http:\n  listen: 127.0.0.1:" + plain.http().getPort() + "\n");
            Run noToken = run(bare, Map.of(), "summary");
            assertThat(noToken.code()).isEqualTo(2);
            assertThat(noToken.err()).contains("no admin token");
            Run disabled = run(bare, Map.of(), "summary", "--token-file",
                    plain.directory().resolve("admin.token").toString());
            assertThat(disabled.code()).isEqualTo(1);
            assertThat(disabled.err()).contains("the admin API is disabled");
        }
    }

    @Test
    void summaryListAndShowDescribeADeferredRecipientAndFlushDeliversItNow() throws Exception {
        AtomicBoolean deferring = new AtomicBoolean(true);
        try (TestMx mx = mx(deferring); TestRelay relay = relay("admin_flush", mx)) {
            String id = queued(relay, "user@deferring.test");
            awaitDeferred(relay, "user@deferring.test");
            deferring.set(false);

            Run summary = cli(relay, "summary");
            assertThat(summary.code()).isZero();
            String[] lines = summary.out().split("\n");
            assertThat(lines[0]).matches("SITE +PRIORITY +RECIPIENTS +IN FLIGHT +DEFERRED +OLDEST +NEXT ATTEMPT"
                    + " +SUSPENDED");
            assertThat(lines[1]).matches(site(mx).replace(".", "\\.") + " +transactional +1 +0 +1 +\\d+s +in 59m\\d\\ds"
                    + " +no");
            assertThat(lines[2]).isEqualTo("1 recipients");
            JsonNode sites = cli(relay, "summary", "--json").json().get("sites");
            assertThat(sites).hasSize(1);
            assertThat(sites.get(0).get("site").asText()).isEqualTo(site(mx));
            assertThat(sites.get(0).get("deferred").asLong()).isEqualTo(1);
            assertThat(sites.get(0).get("suspended").asBoolean()).isFalse();

            Run list = cli(relay, "list", "--domain", "deferring.test");
            assertThat(list.out().split("\n")[0]).matches("ID +STATE +ATTEMPTS +NEXT ATTEMPT +AGE +SITE +RECIPIENT"
                    + " +SENDER +LAST REPLY");
            assertThat(list.out().split("\n")[1]).startsWith(id).contains("deferred", site(mx), "user@deferring.test",
                    "<app@shop.test>", "451 4.7.1 try again later");
            assertThat(cli(relay, "list", "--domain", "elsewhere.test").out()).isEqualTo("no recipients match\n");
            assertThat(cli(relay, "list", "--state", "in_flight", "--json").json().get("recipients")).isEmpty();

            Run show = cli(relay, "show", id);
            assertThat(show.code()).isZero();
            assertThat(show.out()).contains("in queue:  yes", "sender:    <app@shop.test>", "client:    127.0.0.1")
                    .containsPattern("user@deferring\\.test +deferred +1 +in 59m")
                    .containsPattern("accepted")
                    .containsPattern("deferred +user@deferring\\.test +1 +127\\.0\\.0\\.1 +451 4\\.7\\.1 try again");
            JsonNode shown = cli(relay, "show", id, "--json").json();
            assertThat(shown.get("recipients").get(0).get("attempts").asInt()).isEqualTo(1);
            assertThat(shown.get("events")).extracting(e -> e.get("kind").asText())
                    .containsExactly("accepted", "deferred");

            assertThat(mx.transactions()).isEmpty();
            Run flush = cli(relay, "flush", "deferring.test");
            assertThat(flush.code()).isZero();
            assertThat(flush.out()).isEqualTo("1 recipients due now (domain deferring.test)\n");
            awaitTrue(WAIT, () -> mx.transactions().size() == 1);
            assertThat(mx.transactions().get(0).recipients()).singleElement().asString()
                    .contains("user@deferring.test");
            awaitTrue(WAIT, () -> cli(relay, "show", id).out().contains("in queue:  no"));
            Run history = cli(relay, "show", id);
            assertThat(history.out()).containsPattern("flushed +user@deferring\\.test .* alice")
                    .containsPattern("delivered +user@deferring\\.test +2");
            assertThat(cli(relay, "summary").out()).isEqualTo("the queue is empty\n");
            assertThat(cli(relay, "flush", "--json").json().get("flushed").asLong()).isZero();
        }
    }

    @Test
    void suspendHoldsASitesMailOnThisAndEveryNodeAndResumeReleasesIt() throws Exception {
        AtomicBoolean deferring = new AtomicBoolean(false);
        try (TestMx mx = mx(deferring); TestRelay relay = relay("admin_suspend", mx)) {
            Run suspend = cli(relay, "suspend", site(mx), "--for", "2h", "--reason", "maintenance");
            assertThat(suspend.code()).isZero();
            assertThat(suspend.out()).startsWith("suspended site " + site(mx) + " until 20").endsWith(": maintenance\n");

            Submissions.submit(relay.smtp(), "app@shop.test", "<held@t>", "user@held.test");
            awaitTrue(WAIT, () -> events(relay, EventKind.HELD) == 1); // held: back to the queue without an attempt
            Thread.sleep(1500);
            assertThat(mx.transactions()).isEmpty();
            assertThat(mx.connectionsOpened()).isZero();

            JsonNode summary = cli(relay, "summary", "--json").json();
            JsonNode row = summary.get("sites").get(0);
            assertThat(row.get("site").asText()).isEqualTo(site(mx));
            assertThat(row.get("suspended").asBoolean()).isTrue();
            assertThat(row.get("queued").asLong()).isEqualTo(1);
            assertThat(summary.get("suspensions").get(0).get("reason").asText()).isEqualTo("maintenance");
            assertThat(summary.get("suspensions").get(0).get("created_by").asText()).isEqualTo("alice");
            String table = cli(relay, "summary").out();
            assertThat(table).contains("until 20").containsPattern("SUSPENDED SITE +UNTIL +REASON +BY +SINCE\n"
                    + site(mx).replace(".", "\\.") + " +until \\S+ +maintenance +alice +\\d+s ago");
            JsonNode held = cli(relay, "list", "--site", site(mx), "--json").json().get("recipients").get(0);
            assertThat(held.get("state").asText()).isEqualTo("queued");
            assertThat(held.get("attempts").asInt()).isZero();

            Run resume = cli(relay, "resume", site(mx));
            assertThat(resume.code()).isZero();
            assertThat(resume.out()).isEqualTo("resumed site " + site(mx) + "; 1 recipients due now\n");
            awaitTrue(WAIT, () -> mx.transactions().size() == 1);
            Run again = cli(relay, "resume", site(mx));
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("site " + site(mx) + " is not suspended (HTTP 404)");
            assertThat(events(relay, EventKind.SITE_SUSPENDED)).isEqualTo(1);
            assertThat(events(relay, EventKind.SITE_RESUMED)).isEqualTo(1);

            // a suspension without an end holds fresh mail too, until resumed
            assertThat(cli(relay, "suspend", site(mx)).out()).contains("until resumed");
            Submissions.submit(relay.smtp(), "app@shop.test", "<held2@t>", "other@held.test");
            awaitTrue(WAIT, () -> events(relay, EventKind.HELD) == 2);
            assertThat(mx.transactions()).hasSize(1);
            assertThat(cli(relay, "resume", site(mx)).code()).isZero();
            try {
                awaitTrue(WAIT, () -> mx.transactions().size() == 2);
            } catch (AssertionError e) {
                String id = cli(relay, "list", "--json").json().get("recipients").get(0).get("id").asText();
                throw new AssertionError(cli(relay, "list").out() + "\n" + cli(relay, "show", id).out(), e);
            }
        }
    }

    @Test
    void bounceGivesUpWithADsnToTheSenderAndAnEvent() throws Exception {
        AtomicBoolean deferring = new AtomicBoolean(true);
        try (TestMx mx = mx(deferring); TestRelay relay = relay("admin_bounce", mx)) {
            String id = queued(relay, "user@deferring.test");
            awaitDeferred(relay, "user@deferring.test");

            Run bounce = cli(relay, "bounce", id, "--reason", "customer asked");
            assertThat(bounce.code()).isZero();
            assertThat(bounce.out()).isEqualTo("bounced 1 recipients of " + id + "; a DSN to the sender is queued\n");
            // the DSN goes through the spool like any bounce, here to the same MX (shop.test is not deferred)
            awaitTrue(WAIT, () -> mx.transactions().size() == 1);
            TestMx.Transaction dsn = mx.transactions().get(0);
            assertThat(dsn.mailFrom()).isIn("", "<>");
            assertThat(dsn.recipients()).singleElement().asString().contains("app@shop.test");
            assertThat(new String(dsn.data(), StandardCharsets.UTF_8)).contains("multipart/report",
                    "Final-Recipient: rfc822; user@deferring.test", "Action: failed", "Status: 5.0.0",
                    "delivery cancelled by the mail administrator: customer", "Message-ID: <user@deferring.test>");
            assertThat(events(relay, EventKind.ADMIN_BOUNCED)).isEqualTo(1);
            Run show = cli(relay, "show", id);
            assertThat(show.out()).contains("in queue:  no")
                    .containsPattern("admin_bounced +user@deferring\\.test .*bounced by an operator: customer asked"
                            + " +alice");
            Run twice = cli(relay, "bounce", id);
            assertThat(twice.code()).isEqualTo(1);
            assertThat(twice.err()).contains("no message " + id + " in the queue (HTTP 404)");
        }
    }

    @Test
    void deleteRemovesWithoutDsnAndNeverTakesRecipientsInFlight() throws Exception {
        AtomicBoolean deferring = new AtomicBoolean(true);
        AtomicBoolean stall = new AtomicBoolean(true);
        try (TestMx mx = TestMx.builder().script(step -> {
                    if (step.is("RCPT") && step.argument().contains("@deferring.test") && deferring.get()) {
                        return Action.reply(451, "4.7.1", "try again later");
                    }
                    if (step.is("DATA_END") && stall.get()) {
                        return Action.delayed(Duration.ofSeconds(4), null);
                    }
                    return null;
                }).start();
             TestRelay relay = relay("admin_delete", mx)) {
            String id = queued(relay, "user@deferring.test");
            awaitDeferred(relay, "user@deferring.test");
            Run delete = cli(relay, "delete", id, "--json");
            assertThat(delete.code()).isZero();
            assertThat(delete.json().get("deleted")).extracting(JsonNode::asText).containsExactly("user@deferring.test");
            assertThat(events(relay, EventKind.ADMIN_DELETED)).isEqualTo(1);
            assertThat(cli(relay, "show", id).out()).contains("in queue:  no").containsPattern("admin_deleted .* alice");

            // a recipient in an SMTP transaction right now is left to it
            String slow = queued(relay, "user@slow.test");
            awaitTrue(WAIT, () -> mx.commands().stream().anyMatch(c -> c.line().equals("DATA")));
            Run inFlight = cli(relay, "delete", slow);
            assertThat(inFlight.code()).isEqualTo(1);
            assertThat(inFlight.err()).contains("every recipient left is in flight", "(HTTP 409)",
                    "left alone, in flight on node", "user@slow.test");
            awaitTrue(WAIT, () -> mx.transactions().size() == 1);
            awaitTrue(WAIT, () -> cli(relay, "show", slow).out().contains("in queue:  no"));
            assertThat(cli(relay, "show", slow).out()).contains("delivered").doesNotContain("admin_deleted");
            Thread.sleep(1000);
            assertThat(mx.transactions()).hasSize(1); // no DSN for the deleted message
            assertThat(events(relay, EventKind.ADMIN_DELETED)).isEqualTo(1);
        }
    }
}
