package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.Submissions;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import io.r2dbc.pool.ConnectionPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** The write-back against remote text that PostgreSQL cannot store, on a real relay, real sockets and database. */
class WriteBackIT {
    static final String FAST_RETRY = "  retry: {schedule: [1s], jitter: 0, greylist_retry: 1s}\n"
            + ShapingFiles.key("default: {greeting_timeout: 1s, command_timeout: 2s, connect_timeout: 1s}\n");

    @Test
    void aNulInARemoteReplyBouncesOnceWithOneDsnAndOtherSitesKeepDelivering() throws Exception {
        try (TestMx hostile = TestMx.builder()
                .script(step -> step.is("RCPT") ? Action.reply(550, "5.1.1", "no\0such user") : null)
                .start();
             TestMx healthy = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithDatabase("nulreply", "", "delivery:\n"
                     + "  routes: {hostile.test: \"127.0.0.1:" + hostile.address().getPort() + " tls=disabled\","
                     + " \"*\": \"127.0.0.1:" + healthy.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n" + FAST_RETRY)) {
            Submissions.submit(relay.smtp(), "app@shop.test", "<nul@t>", "gone@hostile.test");
            for (int i = 0; i < 10; i++) {
                Submissions.submit(relay.smtp(), "app@shop.test", "<ok" + i + "@t>", "user" + i + "@other.test");
            }
            // the recipient is final (never stuck in flight) and the DSN delivered: nothing is left in the spool
            awaitTrue(Duration.ofSeconds(30), () -> relay.spool().countMessages().block() == 0L);

            List<TestMx.Transaction> dsns = healthy.transactions().stream()
                    .filter(t -> t.mailFrom().isEmpty() || t.mailFrom().equals("<>")).toList();
            assertThat(dsns).hasSize(1);
            assertThat(new String(dsns.get(0).data(), StandardCharsets.UTF_8))
                    .contains("Final-Recipient: rfc822; gone@hostile.test", "no?such user").doesNotContain("\0");
            assertThat(healthy.transactions()).hasSize(11); // ten messages of the other site and the DSN
            assertThat(hostile.attempts("gone@hostile.test")).hasSize(1);
            assertThat(rows(relay, "SELECT kind || '|' || reply FROM event WHERE kind = " + EventKind.BOUNCED.code()))
                    .containsExactly(EventKind.BOUNCED.code() + "|550 5.1.1 no?such user"); // the reply decoder's replacement
        }
    }

    @Test
    void aWriteBackThatCanNeverSucceedParksTheRecipientForAnOperatorInsteadOfLooping() throws Exception {
        try (TestMx hostile = TestMx.builder()
                .script(step -> step.is("RCPT") ? Action.reply(550, "5.1.1", "poison pill") : null)
                .start();
             TestMx healthy = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithDatabase("poison", "", "delivery:\n"
                     + "  routes: {hostile.test: \"127.0.0.1:" + hostile.address().getPort() + " tls=disabled\","
                     + " \"*\": \"127.0.0.1:" + healthy.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n" + FAST_RETRY)) {
            // a write the database refuses whatever the relay does, here for this one reply
            execute(relay, "ALTER TABLE event ADD CONSTRAINT poison CHECK (reply IS NULL OR reply NOT LIKE '%poison%')");
            Submissions.submit(relay.smtp(), "app@shop.test", "<pill@t>", "pill@hostile.test");
            Submissions.submit(relay.smtp(), "app@shop.test", "<fine@t>", "fine@other.test");

            awaitTrue(Duration.ofSeconds(30), () -> count(relay, "SELECT count(*) FROM recipient WHERE state = 0"
                    + " AND last_reply LIKE '451 4.3.0 outcome not recorded (storage error 23514)%'") == 1);
            assertThat(rows(relay, "SELECT address || '|' || (next_attempt_at > now() + interval '50 minutes')"
                    + " || '|' || last_reply FROM recipient WHERE address = 'pill@hostile.test'")).containsExactly("pill@hostile.test|true|451 4.3.0"
                    + " outcome not recorded (storage error 23514); the attempt ended bounced, see the log");
            assertThat(hostile.attempts("pill@hostile.test")).hasSize(1); // no loop, no new attempt
            assertThat(SharedDatabaseIT.metric(relay, "relay_writeback_failures_total")).isEqualTo(1.0);
            // the notice went out once; the other message was delivered
            awaitTrue(Duration.ofSeconds(20), () -> healthy.transactions().size() == 2);
            assertThat(healthy.transactions().stream().filter(t -> t.mailFrom().isEmpty()
                    || t.mailFrom().equals("<>"))).hasSize(1);
        }
    }

    static void execute(TestRelay relay, String sql) {
        ConnectionPool pool = relay.database().pool(1);
        try {
            Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(sql).execute())
                            .flatMap(r -> r.getRowsUpdated()), io.r2dbc.spi.Connection::close)
                    .blockLast(Duration.ofSeconds(30));
        } finally {
            pool.dispose();
        }
    }

    static List<String> rows(TestRelay relay, String sql) {
        return relay.database().rows(sql);
    }

    static long count(TestRelay relay, String sql) {
        return Long.parseLong(Objects.requireNonNull(rows(relay, sql).get(0)));
    }
}
