package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bounces feed the suppression list end to end: a real MX answers 550 5.1.1 for one address and 452 4.2.2 (mailbox
 * full) for another; the first is suppressed after its one bounce, the second after soft_bounce_limit deferrals, a
 * greylisted or throttled address is not; the next message to a suppressed address is refused at RCPT with the
 * reason, and the export lists it with reason, category and date.
 */
class BounceSuppressionIT {
    @Test
    void hardBouncesAndRepeatedSoftBouncesSuppressTheAddressOthersDoNot() throws Exception {
        try (TestMx mx = TestMx.builder()
                .script(step -> {
                    if (!step.is("RCPT")) {
                        return null;
                    }
                    if (step.argument().contains("gone@")) {
                        return Action.reply(550, "5.1.1", "The email account that you tried to reach does not exist.");
                    }
                    if (step.argument().contains("full@")) {
                        return Action.reply(452, "4.2.2", "The email account that you tried to reach is over quota.");
                    }
                    if (step.argument().contains("grey@")) {
                        return Action.reply(451, "4.7.1", "Greylisted, please try again later");
                    }
                    return null;
                })
                .start();
             TestRelay relay = TestRelay.startWithAdmin("bouncesuppression", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "  retry: {schedule: [1s], jitter: 0, greylist_retry: 1s}\n"
                     + ShapingFiles.key("default: {connection_limit: 2}\n")
                     + "suppression:\n  soft_bounce_limit: 2\n  cache_ttl: 5s\n")) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<first@t>", "gone@example.test",
                    "full@example.test", "grey@example.test", "fine@example.test");

            // gone: one bounce; full: two deferrals for a full mailbox; grey: retried as often, never counted
            Await.awaitTrue(Duration.ofSeconds(30), () -> refused(relay, "gone@example.test")
                    && refused(relay, "full@example.test"));
            assertThat(mx.attempts("grey@example.test").size()).as("greylisting retried meanwhile").isGreaterThan(1);

            String gone = SuppressionIT.rcpt(relay, null, "gone@example.test").text();
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            assertThat(gone).contains("suppressed (hard_bounce since " + today + ")");
            assertThat(SuppressionIT.rcpt(relay, null, "full@example.test").text())
                    .contains("suppressed (soft_bounces since " + today + ")");
            assertThat(SuppressionIT.rcpt(relay, null, "grey@example.test").code()).isEqualTo(250);
            assertThat(SuppressionIT.rcpt(relay, null, "fine@example.test").code()).isEqualTo(250);

            SuppressionIT.Http csv = SuppressionIT.http(relay, "GET", "/admin/suppression/export?format=csv", null);
            assertThat(csv.status()).isEqualTo(200);
            List<List<String>> rows = SuppressionIT.Csv.parse(csv.body());
            assertThat(rows.subList(1, rows.size())).extracting(r -> r.get(0) + "|" + r.get(1) + "|" + r.get(2)
                    + "|" + r.get(3)).containsExactlyInAnyOrder("gone@example.test|*|hard_bounce|unknown_user",
                    "full@example.test|*|soft_bounces|mailbox_full");
            assertThat(rows.subList(1, rows.size())).allSatisfy(r -> assertThat(r.get(4)).startsWith(today + "T"));
        }
    }

    private static boolean refused(TestRelay relay, String address) {
        try {
            return SuppressionIT.rcpt(relay, null, address).code() == 550;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
