package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static dev.relay.engine.queue.DeliveryEndToEndIT.eventCounts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.RelayProcess;
import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import io.r2dbc.pool.ConnectionPool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The relay against next hops that misbehave, each a real socket: what it retries, what bounces, who is told, and
 * the event rows it leaves. Retries are 1 s apart here so the tests stay short.
 */
class DeliveryBehaviourIT {
    private static final String FAST_RETRY = "  retry: {schedule: [1s], jitter: 0, greylist_retry: 1s}\n"
            + ShapingFiles.key("default: {greeting_timeout: 1s, command_timeout: 2s, connect_timeout: 1s}\n");

    @Test
    void temporaryFailureIsRetriedAndDeliveredOnce() throws Exception {
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("RCPT") && step.attempt() == 1 ? Action.reply(451, "4.7.1", "greylisted")
                        : null)
                .start();
             TestRelay relay = TestRelay.startWithDatabase("retry", "", routes(mx, null) + FAST_RETRY)) {
            submit(relay, "app@shop.test", "<grey@t>", "user@example.test");
            awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() == 1);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            assertThat(mx.transactions()).hasSize(1);
            assertThat(events(relay)).containsEntry(EventKind.DEFERRED.code(), 1L)
                    .containsEntry(EventKind.DELIVERED.code(), 1L);
        }
    }

    @Test
    void partialRefusalDeliversTheRestAndSendsOneDsn() throws Exception {
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("RCPT") && step.argument().contains("bad") ? Action.reply(550, "5.1.1",
                        "no such user") : null)
                .start();
             TestRelay relay = TestRelay.startWithDatabase("partial", "", routes(mx, null) + FAST_RETRY)) {
            submit(relay, "app@shop.test", "<partial@t>", "good@example.test", "bad1@example.test",
                    "bad2@example.test");
            awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() == 2);
            TestMx.Transaction delivered = mx.transactions().stream().filter(t -> !t.mailFrom().isEmpty()
                    && !t.mailFrom().equals("<>")).findFirst().orElseThrow();
            assertThat(delivered.recipients()).hasSize(1).allMatch(r -> r.contains("good@example.test"));
            TestMx.Transaction dsn = mx.transactions().stream().filter(t -> t != delivered).findFirst().orElseThrow();
            assertThat(dsn.mailFrom()).isIn("", "<>");
            assertThat(dsn.recipients()).hasSize(1).allMatch(r -> r.contains("app@shop.test"));
            String text = new String(dsn.data(), StandardCharsets.UTF_8);
            assertThat(text).contains("multipart/report", "report-type=delivery-status",
                    "Final-Recipient: rfc822; bad1@example.test", "Final-Recipient: rfc822; bad2@example.test",
                    "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1 no such user", "Message-ID: <partial@t>")
                    .doesNotContain("good@example.test\r\nAction");
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            assertThat(events(relay)).containsEntry(EventKind.BOUNCED.code(), 2L)
                    .containsEntry(EventKind.DELIVERED.code(), 2L); // 1 + the DSN
        }
    }

    @Test
    void nullSenderNeverGetsADsn() throws Exception {
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("RCPT") ? Action.reply(550, "5.1.1", "no such user") : null)
                .start();
             TestRelay relay = TestRelay.startWithDatabase("nullsender", "", routes(mx, null) + FAST_RETRY)) {
            submit(relay, "", "<bounce@t>", "gone@example.test");
            awaitTrue(Duration.ofSeconds(20), () -> relay.spool().countMessages().block() == 0L);
            Thread.sleep(1000);
            assertThat(mx.transactions()).isEmpty();
            assertThat(events(relay)).containsEntry(EventKind.BOUNCED.code(), 1L)
                    .containsEntry(EventKind.ACCEPTED.code(), 1L);
        }
    }

    @Test
    void connectionDroppedInDataIsRetried() throws Exception {
        try (TestMx mx = TestMx.builder()
                .script(step -> step.is("CONTENT") && step.attempt() == 1 ? Action.DROP : null)
                .start();
             TestRelay relay = TestRelay.startWithDatabase("drop", "", routes(mx, null) + FAST_RETRY)) {
            submit(relay, "app@shop.test", "<drop@t>", "user@example.test");
            awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() == 1);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            assertThat(mx.connectionsOpened()).isGreaterThanOrEqualTo(2);
            assertThat(events(relay)).containsEntry(EventKind.DEFERRED.code(), 1L)
                    .containsEntry(EventKind.DELIVERED.code(), 1L);
        }
    }

    @Test
    void refusedAndSilentHopsAreRetriedUntilExpiryThenTheSenderIsTold() throws Exception {
        int closed = RelayProcess.freePort();
        try (TestMx senderMx = TestMx.builder().start();
             TestMx blackhole = TestMx.builder().script(step -> step.is("GREETING") ? Action.SILENCE : null).start();
             TestRelay relay = TestRelay.startWithDatabase("expiry", "", "delivery:\n"
                     + "  routes: {refused.test: \"127.0.0.1:" + closed + " tls=disabled\", silent.test: \"127.0.0.1:"
                     + blackhole.address().getPort() + " tls=disabled\", shop.test: \"127.0.0.1:"
                     + senderMx.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n  max_lifetime: 4s\n" + FAST_RETRY)) {
            submit(relay, "app@shop.test", "<expire@t>", "a@refused.test", "b@silent.test");
            // one DSN per failed delivery job: one for each of the two domains
            awaitTrue(Duration.ofSeconds(30), () -> senderMx.transactions().size() >= 2);
            awaitTrue(Duration.ofSeconds(10), () -> relay.spool().countMessages().block() == 0L);
            assertThat(blackhole.connectionsOpened()).isGreaterThanOrEqualTo(2);
            assertThat(senderMx.transactions()).hasSize(2).allMatch(t -> t.mailFrom().isEmpty()
                    || t.mailFrom().equals("<>"));
            String dsn = senderMx.transactions().stream().map(t -> new String(t.data(), StandardCharsets.UTF_8))
                    .reduce("", String::concat);
            assertThat(dsn).contains("Final-Recipient: rfc822; a@refused.test", "Final-Recipient: rfc822; b@silent.test",
                    "Status: 4.4.7", "Action: failed");
            Map<Short, Long> events = events(relay);
            // deferred, both, more than once
            assertThat(events.get(EventKind.DEFERRED.code())).isGreaterThanOrEqualTo(4L);
            assertThat(events).containsEntry(EventKind.EXPIRED.code(), 2L);
        }
    }

    @Test
    void plainServerWithoutPipeliningOrTlsAndATlsServerBothReceive() throws Exception {
        try (TestMx plain = TestMx.builder().pipelining(false).starttls(false).start();
             TestMx tls = TestMx.builder().starttls(true).start();
             TestRelay relay = TestRelay.startWithDatabase("plain", "", "delivery:\n"
                     + "  routes: {plain.test: \"127.0.0.1:" + plain.address().getPort() + "\", tls.test: \"127.0.0.1:"
                     + tls.address().getPort() + " tls=required\"}\n  poll_interval: 200ms\n" + FAST_RETRY)) {
            submit(relay, "app@shop.test", "<plain@t>", "a@plain.test", "b@tls.test");
            awaitTrue(Duration.ofSeconds(20), () -> plain.transactions().size() == 1 && tls.transactions().size() == 1);
            assertThat(tls.commands().stream().map(TestMx.Command::line)).contains("STARTTLS");
            assertThat(plain.commands().stream().map(TestMx.Command::line)).doesNotContain("STARTTLS");
        }
    }

    private static String routes(TestMx mx, String extra) {
        return DeliveryEndToEndIT.route(mx.address(), extra == null ? "" : extra);
    }

    private static Map<Short, Long> events(TestRelay relay) {
        ConnectionPool pool = relay.database().pool(1);
        try {
            return eventCounts(pool);
        } finally {
            pool.dispose();
        }
    }

    private static void submit(TestRelay relay, String from, String messageId, String... recipients)
            throws IOException {
        Submissions.submit(relay.smtp(), from, messageId, recipients);
    }
}
