package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.intake.IntakeVerdictTest;
import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.outcomes.VerpKey;
import dev.relay.engine.outcomes.VerpSettings;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import dev.relay.storage.MessageId;
import dev.relay.storage.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous side end to end: the relay delivers through VERP to a real MX that accepts everything, then that
 * MX's bounces come back over SMTP to the bounce domain, one stored sample per kind (see the README next to them:
 * Postfix, Exim, Gmail, qmail from the Sisimai corpus; Office 365, Yahoo, the out-of-office reply synthetic; an ARF
 * complaint). Each lands on the recipient its token names, with its category and class; hard ones and the complaint
 * suppress the address; the auto-reply is recorded as such; a forged token is refused at RCPT and counted; an
 * unparseable report and one whose token names an unknown recipient are kept.
 */
class BounceIntakeIT {
    private static final String DOMAIN = "bounces.relay.test";
    private static final byte[] SECRET = "0123456789abcdef-intake-test-secret".getBytes(StandardCharsets.US_ASCII);
    /** recipient → sample it bounces with. */
    private static final Map<String, String> SAMPLES = Map.of(
            "postfix@example.test", "postfix-dsn.eml",
            "o365@example.test", "office365-dsn.eml",
            "exim@example.test", "exim-freetext.eml",
            "gmail@example.test", "gmail-freetext.eml",
            "yahoo@example.test", "yahoo-freetext.eml",
            "qmail@example.test", "qmail-freetext.eml",
            "arf@example.test", "arf-complaint.eml",
            "ooo@example.test", "out-of-office.eml");

    @Test
    void bouncesComplaintsAndAutoRepliesComeBackToTheirRecipient() throws Exception {
        Path secret = Files.createTempFile(Path.of("target"), "verp", ".key");
        Files.write(secret, SECRET);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("RCPT") && step.argument().contains("sync-gone@")
                        ? Action.reply(550, "5.1.1", "The email account that you tried to reach does not exist.")
                        : null)
                .start();
             TestRelay relay = TestRelay.startWithAdmin("bounceintake", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "bounces:\n  verp:\n    enabled: true\n    domain: " + DOMAIN + "\n"
                     + "    secret_file: " + secret.toAbsolutePath() + "\n    max_report_size: 64KiB\n")) {
            List<String> recipients = new java.util.ArrayList<>(SAMPLES.keySet());
            recipients.add("junk@example.test");
            recipients.add("sync-gone@example.test");
            Submissions.submit(relay.smtp(), "app@shop.test", "<verp@t>", recipients.toArray(String[]::new));

            // one delivery per recipient, each with its own return path on the bounce domain; the relay's DSN for
            // the synchronous 550 goes to the original sender, from the null path
            Await.awaitTrue("deliveries and the DSN", Duration.ofSeconds(30), () -> mx.transactions().size()
                    >= SAMPLES.size() + 2);
            Map<String, String> returnPath = new HashMap<>();
            for (TestMx.Transaction t : mx.transactions()) {
                assertThat(t.recipients()).hasSize(1);
                String rcpt = t.recipients().get(0);
                if (rcpt.equals("app@shop.test")) {
                    assertThat(t.mailFrom()).as("the relay's DSN keeps the null path").isEmpty();
                    continue;
                }
                assertThat(t.mailFrom()).matches("b\\+[a-z2-7]{53}@" + DOMAIN.replace(".", "\\."));
                returnPath.put(rcpt, t.mailFrom());
            }
            assertThat(returnPath.keySet()).containsAll(SAMPLES.keySet()).contains("junk@example.test");
            assertThat(returnPath.values()).doesNotHaveDuplicates();

            // a webhook endpoint for bounced events: the asynchronous ones reach its outbox with their events
            relay.database().rows("INSERT INTO webhook_endpoint(sender, url, secret, kinds, max_in_flight)"
                    + " VALUES ('*', 'http://127.0.0.1:9/', 'hook-secret', '{" + EventKind.BOUNCED.code() + "}', 1)"
                    + " RETURNING id");
            for (Map.Entry<String, String> e : SAMPLES.entrySet()) {
                assertThat(sendReport(relay, returnPath.get(e.getKey()), IntakeVerdictTest.sample(e.getValue()))
                        .code()).as(e.getValue()).isEqualTo(250);
            }
            assertThat(sendReport(relay, returnPath.get("junk@example.test"),
                    "Subject: hi\r\n\r\nnothing to see\r\n".getBytes(StandardCharsets.UTF_8)).code()).isEqualTo(250);

            // what each recipient got, as the history shows it
            List<String> events = relay.database().rows("SELECT recipient || '|' || kind || '|' || coalesce(category,"
                    + " '-') || '|' || coalesce(bounce_class, '-') FROM event WHERE actor = 'intake'"
                    + " AND recipient IS NOT NULL ORDER BY id");
            assertThat(events).extracting(BounceIntakeIT::labelled).containsExactlyInAnyOrder(
                    "postfix@example.test|bounced|authentication|soft",
                    "o365@example.test|bounced|unknown_user|hard",
                    "exim@example.test|bounced|unknown_user|hard",
                    "gmail@example.test|bounced|unknown_user|hard",
                    "yahoo@example.test|bounced|unknown_user|hard",
                    "qmail@example.test|bounced|unknown_user|hard",
                    "arf@example.test|complained|complaint|-",
                    "ooo@example.test|auto_replied|-|-");

            // hard bounces and the complaint suppress; the soft one and the auto-reply do not
            for (String hard : List.of("o365", "exim", "gmail", "yahoo", "qmail")) {
                assertThat(SuppressionIT.rcpt(relay, null, hard + "@example.test").text())
                        .contains("suppressed (hard_bounce since");
            }
            assertThat(SuppressionIT.rcpt(relay, null, "arf@example.test").text())
                    .contains("suppressed (complaint since");
            assertThat(SuppressionIT.rcpt(relay, null, "postfix@example.test").code()).isEqualTo(250);
            assertThat(SuppressionIT.rcpt(relay, null, "ooo@example.test").code()).isEqualTo(250);

            // the unparseable report is kept with its reason and its token's message
            assertThat(relay.database().rows("SELECT reason || '|' || (message_id IS NOT NULL) || '|'"
                    + " || position('nothing to see' in convert_from(content, 'UTF8')) FROM bounce_kept"))
                    .singleElement().asString().startsWith("neither a report part").doesNotEndWith("|0")
                    .contains("|true|");

            // a token that verifies but names a recipient nobody knows: kept, not linked
            VerpCodec codec = new VerpCodec(new VerpSettings(List.of(new VerpKey(0, SECRET)), 0, "b+", DOMAIN,
                    Duration.ofDays(30)), Clock.systemUTC());
            String unknown = codec.address(new MessageId(UUID.randomUUID()), 0).toString();
            assertThat(sendReport(relay, unknown, IntakeVerdictTest.sample("exim-freetext.eml")).code())
                    .isEqualTo(250);
            assertThat(relay.database().rows("SELECT reason FROM bounce_kept ORDER BY id")).hasSize(2).last()
                    .asString().contains("no longer known");

            // a forged (altered) token: refused at RCPT, counted, never linked
            String good = returnPath.get("exim@example.test");
            int at = good.indexOf('@');
            // a character inside the MAC (the last one also carries a padding bit, which would make it malformed)
            char inMac = good.charAt(at - 10);
            String forged = good.substring(0, at - 10) + (inMac == 'a' ? 'c' : 'a') + good.substring(at - 9);
            SmtpTestClient.Reply refused = rcptOnly(relay, forged);
            assertThat(refused.code()).isEqualTo(550);
            assertThat(refused.text()).startsWith("5.1.1");
            assertThat(rcptOnly(relay, "b+nothing@" + DOMAIN).code()).isEqualTo(550);
            String metrics = scrape(relay);
            assertThat(metrics).containsPattern("relay_bounce_intake_total\\{[^}]*result=\"refused_forged\"[^}]*}"
                    + " 1\\.0");
            assertThat(metrics).containsPattern("relay_bounce_intake_total\\{[^}]*result=\"refused_malformed\"[^}]*}"
                    + " 1\\.0");
            assertThat(metrics).containsPattern("relay_bounce_intake_total\\{[^}]*result=\"bounced\"[^}]*} 6\\.0");
            assertThat(metrics).containsPattern("relay_bounce_intake_total\\{[^}]*result=\"kept\"[^}]*} 2\\.0");
            assertThat(relay.database().rows("SELECT count(*) FROM event WHERE actor = 'intake' AND kind IN ("
                    + EventKind.BOUNCED.code() + ", " + EventKind.COMPLAINED.code() + ")")).containsExactly("7");
            // the synchronous 550 got its category and class on its event too, right after the write-back
            Await.awaitTrue("synchronous bounce classified", Duration.ofSeconds(10), () -> relay.database().rows(
                    "SELECT category || '|' || bounce_class FROM event WHERE recipient = 'sync-gone@example.test'"
                    + " AND kind = " + EventKind.BOUNCED.code()).equals(List.of("unknown_user|hard")));
            // statistics count bounces by class: 5 hard async + 1 hard sync, 1 soft (the DMARC one); 1 complaint
            assertThat(relay.database().rows("SELECT kind || ':' || sum(n) FROM event_rollup WHERE kind IN ("
                    + EventKind.HARD_BOUNCE.code() + ", " + EventKind.SOFT_BOUNCE.code() + ", "
                    + EventKind.COMPLAINED.code() + ", " + EventKind.AUTO_REPLIED.code() + ", "
                    + EventKind.BOUNCE_KEPT.code() + ") GROUP BY kind ORDER BY kind")).containsExactly("20:1", "21:1",
                    "22:2", "101:6", "102:1");
            assertThat(relay.database().rows("SELECT sum(n) FROM event_rollup WHERE kind = "
                    + EventKind.SUPPRESSION_ADDED.code())).as("5 hard bounces, the complaint, the synchronous 550")
                    .containsExactly("7");
            // the history API shows them, the stats API counts them apart
            SuppressionIT.Http history = SuppressionIT.http(relay, "GET",
                    "/admin/history/recipients/exim%40example.test", null);
            assertThat(history.status()).isEqualTo(200);
            assertThat(history.body()).contains("\"kind\":\"bounced\"").contains("\"category\":\"unknown_user\"")
                    .contains("\"class\":\"hard\"").contains("\"actor\":\"intake\"");
            SuppressionIT.Http stats = SuppressionIT.http(relay, "GET", "/admin/stats", null);
            assertThat(stats.body()).contains("\"hard_bounce\":").contains("\"soft_bounce\":")
                    .contains("\"complained\":").contains("\"auto_replied\":").contains("\"suppression_added\":");
            assertThat(relay.database().rows("SELECT count(*) FROM webhook_outbox")).as("6 asynchronous bounces")
                    .containsExactly("6");
            // nothing of the intake was queued for delivery
            assertThat(relay.database().rows("SELECT count(*) FROM message")).containsExactly("0");
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    private static String labelled(String row) {
        String[] f = row.split("\\|");
        return f[0] + "|" + EventKind.labelOf(Integer.parseInt(f[1])) + "|" + f[2] + "|" + f[3];
    }

    /** A report to {@code to} over SMTP, from the null path as bounces come, unauthenticated; the final reply. */
    static SmtpTestClient.Reply sendReport(TestRelay relay, String to, byte[] report) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            c.reply();
            c.command("EHLO mx.example.test");
            assertThat(c.command("MAIL FROM:<>").code()).isEqualTo(250);
            SmtpTestClient.Reply rcpt = c.command("RCPT TO:<" + to + ">");
            assertThat(rcpt.code()).as(rcpt.text()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            String text = new String(report, StandardCharsets.ISO_8859_1).replaceAll("\r?\n", "\r\n");
            if (!text.endsWith("\r\n")) {
                text += "\r\n";
            }
            text = text.replace("\r\n.", "\r\n..");
            if (text.startsWith(".")) {
                text = "." + text;
            }
            c.sendBytes(text.getBytes(StandardCharsets.ISO_8859_1));
            return c.command(".");
        }
    }

    private static SmtpTestClient.Reply rcptOnly(TestRelay relay, String to) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect(relay.smtp())) {
            c.reply();
            c.command("EHLO mx.example.test");
            assertThat(c.command("MAIL FROM:<>").code()).isEqualTo(250);
            return c.command("RCPT TO:<" + to + ">");
        }
    }

    private static String scrape(TestRelay relay) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
