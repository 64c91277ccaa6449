package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import dev.relay.storage.testing.Await;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code suppression.mode: accept_and_record} end to end over SMTP with a real MX: RCPT to a suppressed address gets
 * 250, the other recipients of the same message arrive, the suppressed one never reaches the MX and gets a
 * {@code suppressed} event (counted in the rollups), no DSN goes back to the sender, and a message whose every
 * recipient is suppressed leaves no message row behind.
 */
class SuppressionAcceptAndRecordIT {
    @Test
    void aSuppressedRecipientIsAcceptedRecordedAndNeverDeliveredTheOthersAre() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithAdmin("acceptrecord", "delivery:\n"
                     + "  routes: {\"*\": \"127.0.0.1:" + mx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + "suppression:\n  mode: accept_and_record\n")) {
            SuppressionIT.Http added = SuppressionIT.http(relay, "POST", "/admin/suppression",
                    "{\"address\": \"dead@example.test\", \"reason\": \"hard_bounce\"}");
            assertThat(added.status()).as(added.body()).isEqualTo(200);

            // Submissions expects 250 at every step, RCPT to the suppressed address included
            Submissions.submit(relay.smtp(), "app@shop.test", "<mixed@t>", "dead@example.test", "fine@example.test");
            Submissions.submit(relay.smtp(), "app@shop.test", "<only@t>", "dead@example.test");
            Submissions.submit(relay.smtp(), "app@shop.test", "<after@t>", "later@example.test");

            Await.awaitTrue(Duration.ofSeconds(30), () -> delivered(mx).containsAll(
                    List.of("fine@example.test", "later@example.test")));
            // everything queued is retired (the write-back deletes a message with its last recipient)
            Await.awaitTrue(Duration.ofSeconds(30),
                    () -> relay.database().rows("SELECT count(*) FROM message").equals(List.of("0")));

            assertThat(delivered(mx)).containsExactlyInAnyOrder("fine@example.test", "later@example.test");
            assertThat(mx.transactions()).as("no DSN to the sender").allSatisfy(t -> {
                assertThat(t.mailFrom()).isNotEmpty();
                assertThat(t.recipients()).doesNotContain("app@shop.test");
            });
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            assertThat(relay.database().rows("SELECT recipient || '|' || reply FROM event WHERE kind = "
                    + EventKind.SUPPRESSED.code() + " ORDER BY id")).containsExactly(
                    "dead@example.test|<dead@example.test>: suppressed (hard_bounce since " + today + ")",
                    "dead@example.test|<dead@example.test>: suppressed (hard_bounce since " + today + ")");
            assertThat(relay.database().rows("SELECT count(*) FROM event WHERE kind IN ("
                    + EventKind.DELIVERED.code() + ", " + EventKind.BOUNCED.code() + ") AND recipient LIKE 'dead@%'"))
                    .containsExactly("0");
            // the statistics count them, and every message once as accepted
            assertThat(relay.database().rows("SELECT kind || '=' || sum(n) FROM event_rollup WHERE kind IN ("
                    + EventKind.ACCEPTED.code() + ", " + EventKind.SUPPRESSED.code() + ") GROUP BY kind ORDER BY kind"))
                    .containsExactly(EventKind.ACCEPTED.code() + "=3", EventKind.SUPPRESSED.code() + "=2");
        }
    }

    private static List<String> delivered(TestMx mx) {
        return mx.transactions().stream().flatMap(t -> t.recipients().stream()).toList();
    }
}
