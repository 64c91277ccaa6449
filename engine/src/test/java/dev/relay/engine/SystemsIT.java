package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.admin.SystemCommand;
import dev.relay.engine.auth.PasswordHash;
import dev.relay.engine.config.RelayConfig;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.SmtpTestClient.Reply;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import dev.relay.storage.StoredMessage;
import dev.relay.storage.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Connected systems end to end (issue 15): the {@code relay system} CLI against a running relay's admin API, AUTH
 * and sending against what it stored, and two nodes on one database.
 */
class SystemsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration REFRESH = Duration.ofMillis(500);
    private static final String FAST_REFRESH = TestRelay.NO_DELIVERY + "systems:\n  refresh_interval: 500ms\n";

    /** What one CLI run printed. */
    record Cli(int code, String out, String err) {}

    private static Cli cli(TestRelay relay, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", "http://127.0.0.1:" + relay.http().getPort(), "--token-file",
                relay.directory().resolve("admin.token").toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SystemCommand.run(all.toArray(String[]::new), RelayConfig.defaults(), Map.of("USER", "ops"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Cli ok(TestRelay relay, String... args) {
        Cli c = cli(relay, args);
        assertThat(c.code()).as(c.err()).isZero();
        return c;
    }

    /** A credential from {@code relay system credential add}'s output. */
    record Login(String username, String password) {}

    private static Login newCredential(TestRelay relay, String system) {
        String out = ok(relay, "credential", "add", system).out();
        Matcher u = Pattern.compile("username: (\\S+)").matcher(out);
        Matcher p = Pattern.compile("password: (\\S+)").matcher(out);
        assertThat(u.find() && p.find()).as(out).isTrue();
        assertThat(out).contains("shown this once");
        return new Login(u.group(1), p.group(1));
    }

    private static SmtpTestClient tls(TestRelay relay) throws IOException {
        SmtpTestClient c = SmtpTestClient.connect(relay.smtp());
        assertThat(c.reply().code()).isEqualTo(220);
        assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
        assertThat(c.command("STARTTLS").code()).isEqualTo(220);
        c.upgradeToTls();
        assertThat(c.command("EHLO app.test").code()).isEqualTo(250);
        return c;
    }

    private static Reply auth(SmtpTestClient c, Login login) throws IOException {
        return c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + login.username() + "\0"
                + login.password()).getBytes(StandardCharsets.UTF_8)));
    }

    /** AUTH on a new connection: the reply to AUTH. */
    private static Reply authOnce(TestRelay relay, Login login) throws IOException {
        try (SmtpTestClient c = tls(relay)) {
            return auth(c, login);
        }
    }

    private static long messages(TestRelay relay) {
        return relay.spool().countMessages().block(WAIT);
    }

    private static StoredMessage stored(TestRelay relay, Reply queued) {
        assertThat(queued.code()).as(queued.text()).isEqualTo(250);
        String id = queued.text().substring("2.0.0 Ok: queued as ".length()).trim();
        return relay.spool().find(MessageId.parse(id)).block(WAIT);
    }

    @Test
    void fromNothingToAFirstMessageWithTheCli() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("systems_cli", FAST_REFRESH)) {
            assertThat(ok(relay, "add", "erp", "--lane", "bulk", "--notes", "the ERP").out())
                    .contains("system erp added");
            assertThat(cli(relay, "add", "erp").code()).isEqualTo(1);
            Login login = newCredential(relay, "erp");
            assertThat(login.username()).startsWith("erp-");
            ok(relay, "domain", "add", "erp", "erp.example", "--list-help", "https://erp.example/why-this-mail");
            assertThat(cli(relay, "domain", "add", "erp", TestRelay.SENDER_DOMAIN).err())
                    .contains("belongs to system shop").contains("409");
            assertThat(ok(relay, "list").out()).contains("erp").contains("bulk").contains("erp.example")
                    .contains(TestRelay.USER).contains(TestRelay.SENDER_DOMAIN);
            assertThat(ok(relay, "show", "erp", "--json").out()).contains("\"username\":\"" + login.username() + "\"")
                    .contains("\"list_help\":\"https://erp.example/why-this-mail\"").doesNotContain("password");

            long before = messages(relay);
            try (SmtpTestClient c = tls(relay)) {
                assertThat(auth(c, login).code()).isEqualTo(235);
                Reply foreign = c.command("MAIL FROM:<orders@" + TestRelay.SENDER_DOMAIN + ">");
                assertThat(foreign.code()).isEqualTo(550);
                assertThat(foreign.text()).startsWith("5.7.1").contains(TestRelay.SENDER_DOMAIN).contains("erp");

                assertThat(c.command("MAIL FROM:<billing@erp.example>").code()).isEqualTo(250);
                assertThat(c.command("RCPT TO:<customer@example.test>").code()).isEqualTo(250);
                assertThat(c.command("DATA").code()).isEqualTo(354);
                Reply spoofed = c.command("From: ceo@" + TestRelay.SENDER_DOMAIN + "\r\nSubject: pay\r\n\r\nx\r\n.");
                assertThat(spoofed.code()).isEqualTo(550);
                assertThat(spoofed.text()).startsWith("5.7.1").contains("header From domain "
                        + TestRelay.SENDER_DOMAIN);
                assertThat(messages(relay)).as("a refused sender stores nothing").isEqualTo(before);

                assertThat(c.command("MAIL FROM:<billing@erp.example>").code()).isEqualTo(250);
                assertThat(c.command("RCPT TO:<customer@example.test>").code()).isEqualTo(250);
                assertThat(c.command("DATA").code()).isEqualTo(354);
                StoredMessage message = stored(relay, c.command("From: Billing <billing@erp.example>\r\n"
                        + "Subject: invoice\r\n\r\nhello\r\n."));
                String content = new String(message.content(), StandardCharsets.UTF_8);
                assertThat(content).contains("\r\nList-Help: <https://erp.example/why-this-mail>\r\nFrom: Billing");
                assertThat(message.priority()).as("the system's default lane").isEqualTo(Priority.BULK);
                assertThat(message.account()).isEqualTo("erp");
            }

            Login second = newCredential(relay, "erp");
            ok(relay, "credential", "revoke", "erp", login.username());
            Reply revoked = authOnce(relay, login);
            assertThat(revoked.code()).isEqualTo(535);
            assertThat(revoked.text()).startsWith("5.7.8");
            assertThat(authOnce(relay, second).code()).as("the other credential still works").isEqualTo(235);

            ok(relay, "disable", "erp");
            Reply disabled = authOnce(relay, second);
            assertThat(disabled.code()).isEqualTo(535);
            assertThat(disabled.text()).startsWith("5.7.8").contains("disabled");
            ok(relay, "enable", "erp");
            assertThat(authOnce(relay, second).code()).isEqualTo(235);
            assertThat(cli(relay, "credential", "revoke", "nobody", "x").code()).isEqualTo(1);
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("relay_systems_refreshes_total{").contains("result=\"ok\"")
                    .contains("relay_systems_snapshot_age_seconds{")
                    .contains("reason=\"sender_domain\"");
            assertThat(cli(relay, "domain", "add", "erp", "x.example", "--list-help", "http://x.example").code())
                    .isEqualTo(2);
        }
    }

    @Test
    void aUsersFileImportsIdempotently() throws Exception {
        try (TestRelay relay = TestRelay.startWithAdmin("systems_import", FAST_REFRESH)) {
            Path file = relay.directory().resolve("legacy-users.yaml");
            Files.writeString(file, "users:\n  legacy:\n    password: \""
                    + PasswordHash.create("legacy-pass".toCharArray(), 1000).encode()
                    + "\"\n    priority: bulk\n    domains: [legacy.example]\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            assertThat(ok(relay, "import", file.toString()).out())
                    .contains("system legacy (added): credential legacy added, 1 domain(s) added");
            assertThat(ok(relay, "import", file.toString()).out())
                    .contains("system legacy: credential legacy unchanged, 0 domain(s) added");
            assertThat(authOnce(relay, new Login("legacy", "legacy-pass")).code()).isEqualTo(235);
            // the users file the relay imported at start: the harness's two systems, with their domains
            assertThat(ok(relay, "show", TestRelay.BULK_USER).out()).contains(TestRelay.BULK_SENDER_DOMAIN)
                    .contains("bulk");
        }
    }

    @Test
    void aChangeOnOneNodeIsInForceOnTheOtherWithinTheRefreshInterval() throws Exception {
        try (TestDatabase db = TestDatabase.create("systems_two_nodes");
             TestRelay a = TestRelay.startWithAdminOn(db.url(), "", FAST_REFRESH);
             TestRelay b = TestRelay.start(db.url(), "", FAST_REFRESH)) {
            ok(a, "add", "crm");
            Login login = newCredential(a, "crm");
            long added = System.nanoTime();
            Duration seen = awaitReply(b, login, 235);
            System.out.printf("new credential usable on the other node after %d ms%n", seen.toMillis());

            ok(a, "disable", "crm");
            Duration disabled = awaitReply(b, login, 535);
            System.out.printf("disabled system refused on the other node after %d ms (refresh_interval %d ms)%n",
                    disabled.toMillis(), REFRESH.toMillis());
            // the bound: one refresh interval plus one read of the snapshot; a little slack for a loaded machine
            assertThat(disabled).isLessThan(REFRESH.plusSeconds(3));

            ok(a, "enable", "crm");
            awaitReply(b, login, 235);
            ok(a, "credential", "revoke", "crm", login.username());
            Duration revoked = awaitReply(b, login, 535);
            System.out.printf("revoked credential refused on the other node after %d ms%n", revoked.toMillis());
            assertThat(revoked).isLessThan(REFRESH.plusSeconds(3));
            assertThat(System.nanoTime() - added).isPositive();
        }
    }

    /** Tries AUTH on {@code node} until it answers {@code code}; how long that took (bounded by 20 s). */
    private static Duration awaitReply(TestRelay node, Login login, int code) throws IOException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(20).toNanos();
        while (true) {
            Reply r = authOnce(node, login);
            if (r.code() == code) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            assertThat(System.nanoTime()).as("AUTH still answers %s", r).isLessThan(deadline);
            // a failed AUTH is answered after auth_failure_delay (1 s), a success at once: no sleep needed
        }
    }
}
