package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.Priority;
import dev.relay.storage.StoredMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Priority lanes end to end: the per-message header (what is stored, with which priority, and that the header is
 * gone), and transactional mail overtaking a bulk backlog queued for the same slow, single-connection site.
 */
class PriorityLanesIT {
    private static final Logger log = LoggerFactory.getLogger(PriorityLanesIT.class);

    @Test
    void theHeaderChoosesThePriorityWithinWhatConfigAllowsAndIsNeverStored() throws Exception {
        String body = "From: app@shop.test\r\nX-Relay-Priority: bulk\r\nSubject: lowered\r\n\r\nline 1\r\n";
        String raise = "From: app@shop.test\r\nx-relay-priority:\r\n transactional\r\nSubject: raised\r\n\r\nb\r\n";
        String plain = "From: app@shop.test\r\nSubject: plain\r\n\r\nb\r\n";
        try (TestRelay relay = TestRelay.startWithDatabase("prioheader", "")) {
            submitAs(relay, TestRelay.USER, "<lowered@t>", body);
            submitAs(relay, TestRelay.BULK_USER, "<raised@t>", raise);
            submitAs(relay, TestRelay.BULK_USER, "<bulkplain@t>", plain);
            submitAs(relay, TestRelay.USER, "<plain@t>", plain);
            Map<String, StoredMessage> stored = stored(relay);
            assertThat(stored.get("<lowered@t>").priority()).as("lowering is always allowed").isEqualTo(Priority.BULK);
            assertThat(stored.get("<raised@t>").priority()).as("raising is off by default").isEqualTo(Priority.BULK);
            assertThat(stored.get("<bulkplain@t>").priority()).isEqualTo(Priority.BULK);
            assertThat(stored.get("<plain@t>").priority()).isEqualTo(Priority.TRANSACTIONAL);
            assertThat(afterReceived(stored.get("<lowered@t>")))
                    .as("the field is gone, every other byte as sent")
                    .isEqualTo(withMessageId("<lowered@t>", body.replace("X-Relay-Priority: bulk\r\n", "")));
            assertThat(afterReceived(stored.get("<raised@t>")))
                    .isEqualTo(withMessageId("<raised@t>", asSentBy(TestRelay.BULK_USER,
                            raise.replace("x-relay-priority:\r\n transactional\r\n", ""))));
            assertThat(afterReceived(stored.get("<plain@t>"))).isEqualTo(withMessageId("<plain@t>", plain));
        }
        try (TestRelay relay = TestRelay.startWithDatabase("prioraise",
                "  priority_header: {name: X-Lane, allow_raise: true}\n")) {
            submitAs(relay, TestRelay.BULK_USER, "<raised2@t>", raise.replace("x-relay-priority:", "X-Lane:"));
            submitAs(relay, TestRelay.BULK_USER, "<other@t>", raise);
            Map<String, StoredMessage> stored = stored(relay);
            assertThat(stored.get("<raised2@t>").priority()).isEqualTo(Priority.TRANSACTIONAL);
            assertThat(afterReceived(stored.get("<raised2@t>"))).doesNotContain("X-Lane");
            assertThat(stored.get("<other@t>").priority()).as("another field name is just a header").isEqualTo(
                    Priority.BULK);
            assertThat(afterReceived(stored.get("<other@t>"))).contains("x-relay-priority:");
        }
    }

    /**
     * A site that takes one connection and answers slowly, {@value #BULK} bulk messages queued for it, then
     * transactional ones submitted one by one: each goes out next, ahead of the backlog. Latencies are logged (and
     * reported); only generous sanity bounds are asserted.
     */
    @Test
    void transactionalMailOvertakesABulkBacklogOnTheSameSite() throws Exception {
        try (TestMx mx = TestMx.builder().tarpit(Duration.ofMillis(15)).start();
             TestRelay relay = TestRelay.startWithDatabase("lanes", "", DeliveryEndToEndIT.route(mx.address(),
                     ShapingFiles.key("default: {connection_limit: 1, max_deliveries_per_connection: 1000}\n")))) {
            try (SmtpTestClient client = session(relay)) {
                for (int i = 0; i < BULK; i++) {
                    send(client, "bulk" + i + "@example.test", "X-Relay-Priority: bulk\r\n");
                }
            }
            awaitTrue(Duration.ofSeconds(20), () -> mx.transactions().size() >= 20); // the backlog is flowing
            Map<String, Instant> accepted = new ConcurrentHashMap<>();
            try (SmtpTestClient client = session(relay)) {
                for (int i = 0; i < TRANSACTIONAL; i++) {
                    String rcpt = "tx" + i + "@example.test";
                    send(client, rcpt, "");
                    accepted.put(rcpt, Instant.now());
                    Thread.sleep(150); // slower than the site drains: each sees the backlog, not its predecessors
                }
            }
            awaitTrue(Duration.ofSeconds(20), () -> delivered(mx, "tx").size() == TRANSACTIONAL);

            Map<String, TestMx.Transaction> tx = delivered(mx, "tx");
            long bulkLeft = BULK - delivered(mx, "bulk").size();
            List<Long> latencies = new ArrayList<>();
            List<TestMx.Transaction> order = mx.transactions();
            int mostBulkBetween = 0;
            for (Map.Entry<String, Instant> e : accepted.entrySet()) {
                Instant done = tx.get(e.getKey()).time();
                latencies.add(Duration.between(e.getValue(), done).toMillis());
                int bulkBetween = (int) order.stream().filter(t -> t.recipients().get(0).startsWith("bulk")
                        && t.time().isAfter(e.getValue()) && t.time().isBefore(done)).count();
                mostBulkBetween = Math.max(mostBulkBetween, bulkBetween);
            }
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            long p50 = sorted[sorted.length / 2];
            long p99 = sorted[(int) Math.ceil(sorted.length * 0.99) - 1];
            log.info("priority lanes: {} transactional behind a bulk backlog ({} bulk still queued at the end):"
                    + " latency accept->delivered p50 {} ms, p99 {} ms, max {} ms; at most {} bulk delivered while one"
                    + " waited", TRANSACTIONAL, bulkLeft, p50, p99, sorted[sorted.length - 1], mostBulkBetween);
            System.out.printf("PRIORITY-LANES transactional=%d bulkLeft=%d p50=%dms p99=%dms max=%dms"
                    + " mostBulkBetween=%d%n", TRANSACTIONAL, bulkLeft, p50, p99, sorted[sorted.length - 1],
                    mostBulkBetween);
            assertThat(bulkLeft).as("the transactional mail did not wait for the backlog").isGreaterThan(BULK / 4);
            assertThat(mostBulkBetween).as("at most the bulk deliveries already running or starting went first")
                    .isLessThanOrEqualTo(2);
            assertThat(p99).as("sanity bound only").isLessThan(10_000);
            assertThat(mx.maxConcurrentConnections()).isEqualTo(1);
        }
    }

    private static final int BULK = 400;
    private static final int TRANSACTIONAL = 20;

    private static Map<String, TestMx.Transaction> delivered(TestMx mx, String prefix) {
        return mx.transactions().stream().filter(t -> t.recipients().get(0).startsWith(prefix))
                .collect(Collectors.toMap(t -> t.recipients().get(0), Function.identity(), (a, b) -> a));
    }

    private static SmtpTestClient session(TestRelay relay) throws IOException {
        SmtpTestClient client = SmtpTestClient.connect(relay.smtp());
        assertThat(client.reply().code()).isEqualTo(220);
        assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
        return client;
    }

    private static void send(SmtpTestClient client, String rcpt, String extraHeader) throws IOException {
        assertThat(client.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
        assertThat(client.command("RCPT TO:<" + rcpt + ">").code()).isEqualTo(250);
        assertThat(client.command("DATA").code()).isEqualTo(354);
        assertThat(client.command(extraHeader + "Subject: " + rcpt + "\r\n\r\nhello\r\n.").code()).isEqualTo(250);
    }

    /** {@code content} with its From in {@code user}'s own sending domain, as {@link #submitAs} sends it. */
    private static String asSentBy(String user, String content) {
        return content.replace("From: app@shop.test", "From: app@" + TestRelay.senderDomain(user));
    }

    /** Submits {@code content} (which must not need dot-stuffing) as {@code user} over STARTTLS + AUTH PLAIN. */
    private static void submitAs(TestRelay relay, String user, String messageId, String content) throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            assertThat(client.reply().code()).isEqualTo(220);
            assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
            assertThat(client.command("STARTTLS").code()).isEqualTo(220);
            client.upgradeToTls();
            assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
            assertThat(client.command("AUTH PLAIN " + plain(user)).code())
                    .isEqualTo(235);
            // each system sends as its own domain (connected systems, issue 15)
            String domain = TestRelay.senderDomain(user);
            assertThat(client.command("MAIL FROM:<app@" + domain + ">").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<user@example.test>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Message-ID: " + messageId + "\r\n" + asSentBy(user, content));
            assertThat(client.command(".").code()).isEqualTo(250);
            client.command("QUIT");
        }
    }

    private static String plain(String user) {
        return java.util.Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestRelay.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, StoredMessage> stored(TestRelay relay) {
        List<StoredMessage> all = relay.spool().all().collectList().block(Duration.ofSeconds(10));
        return all.stream().collect(Collectors.toMap(m -> {
            String text = new String(m.content(), StandardCharsets.ISO_8859_1);
            int at = text.indexOf("Message-ID: ") + 12;
            return text.substring(at, text.indexOf("\r\n", at));
        }, Function.identity()));
    }

    /** The stored bytes after our Received header, which is the first field and ends at the next unfolded line. */
    private static String afterReceived(StoredMessage m) {
        byte[] content = m.content();
        String text = new String(content, StandardCharsets.ISO_8859_1);
        int start = text.indexOf("\r\nMessage-ID: ") + 2;
        return new String(Arrays.copyOfRange(content, start, content.length), StandardCharsets.ISO_8859_1);
    }

    private static String withMessageId(String id, String content) {
        return "Message-ID: " + id + "\r\n" + content;
    }
}
