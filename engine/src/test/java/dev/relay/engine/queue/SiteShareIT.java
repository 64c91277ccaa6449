package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import io.r2dbc.pool.ConnectionPool;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * One tarpitting site with a backlog as large as the whole window must not starve other sites: it holds at most
 * its share (delivery.site_window_share, 0.5 of the default 20,000), the rest goes back to the database, and mail for
 * another domain is still taken into memory and delivered within seconds.
 */
class SiteShareIT {
    private static final int MESSAGES = 200;
    private static final int RECIPIENTS = 100; // smtp.max_recipients' default: 20,000 recipients in all

    @Test
    void aTarpittingSiteWithAWindowSizedBacklogLeavesRoomForOtherSites() throws Exception {
        try (TestMx slow = TestMx.builder().tarpit(Duration.ofMillis(500)).start();
             TestMx fast = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithDatabase("siteshare", "", "delivery:\n"
                     + "  routes: {\"slow.test\": \"127.0.0.1:" + slow.address().getPort() + " tls=disabled\","
                     + " \"fast.test\": \"127.0.0.1:" + fast.address().getPort() + " tls=disabled\"}\n"
                     + "  poll_interval: 200ms\n"
                     + ShapingFiles.key("default: {connection_limit: 1, max_recipients_per_message: 10}\n"))) {
            // four sessions at once: the backlog goes in faster than one session's round trips allow
            List<java.util.concurrent.Future<?>> sessions = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                for (int s = 0; s < 4; s++) {
                    int first = s;
                    sessions.add(pool.submit(() -> {
                        submitBacklog(relay, first, 4);
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : sessions) {
                    f.get(2, java.util.concurrent.TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            // the backlog is in: the slow site holds its share at most (less what it delivered meanwhile), the rest
            // waits on disk with its site known
            awaitTrue(Duration.ofSeconds(30), () -> count(relay, "state = 0 AND site IS NOT NULL") >= 9_000);
            // claimed rows on their way back count as in flight until their return commits: wait for those
            awaitTrue(Duration.ofSeconds(10), () -> count(relay, "state = 1") <= 10_000);

            long sent = System.nanoTime();
            try (SmtpTestClient client = session(relay)) {
                assertThat(client.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
                assertThat(client.command("RCPT TO:<order@fast.test>").code()).isEqualTo(250);
                assertThat(client.command("DATA").code()).isEqualTo(354);
                assertThat(client.command("Subject: order\r\n\r\nyour order\r\n.").code()).isEqualTo(250);
            }
            awaitTrue(Duration.ofSeconds(5), () -> !fast.transactions().isEmpty());
            long tookMs = (System.nanoTime() - sent) / 1_000_000;
            System.out.printf("SITE-SHARE other site's mail delivered %d ms after its 250, behind a %d-recipient"
                    + " backlog for a tarpitting site%n", tookMs, MESSAGES * RECIPIENTS);
            assertThat(fast.transactions().get(0).recipients()).containsExactly("order@fast.test");
            awaitTrue(Duration.ofSeconds(10), () -> count(relay, "state = 1") <= 10_000); // still within its share
        }
    }

    /** Messages first, first + step, ... of the backlog over one session, each envelope pipelined. */
    private static void submitBacklog(TestRelay relay, int first, int step) throws IOException {
        try (SmtpTestClient client = session(relay)) {
            for (int m = first; m < MESSAGES; m += step) {
                StringBuilder envelope = new StringBuilder("MAIL FROM:<app@shop.test>\r\n");
                for (int r = 0; r < RECIPIENTS; r++) {
                    envelope.append("RCPT TO:<m").append(m).append('r').append(r).append("@slow.test>\r\n");
                }
                client.send(envelope.append("DATA\r\n").toString());
                for (int i = 0; i < RECIPIENTS + 2; i++) {
                    assertThat(client.reply().code()).isIn(250, 354);
                }
                assertThat(client.command("Subject: backlog " + m + "\r\n\r\nbody\r\n.").code()).isEqualTo(250);
            }
        }
    }

    private static SmtpTestClient session(TestRelay relay) throws IOException {
        SmtpTestClient client = SmtpTestClient.connect(relay.smtp());
        assertThat(client.reply().code()).isEqualTo(220);
        assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
        return client;
    }

    private static long count(TestRelay relay, String where) {
        ConnectionPool pool = relay.database().pool(1);
        try {
            List<Long> n = Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(
                                    "SELECT count(*) FROM recipient WHERE domain = 'slow.test' AND " + where).execute())
                            .flatMap(r -> r.map((row, meta) -> row.get(0, Long.class))),
                    io.r2dbc.spi.Connection::close).collectList().block(Duration.ofSeconds(30));
            return n.get(0);
        } finally {
            pool.dispose();
        }
    }
}
