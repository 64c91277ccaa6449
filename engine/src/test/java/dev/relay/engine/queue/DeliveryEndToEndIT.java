package dev.relay.engine.queue;

import static dev.relay.storage.testing.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.ShapingFiles;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.EventKind;
import io.r2dbc.pool.ConnectionPool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Source → relay → sink over loopback: real SMTP clients submit, the relay delivers to a {@link TestMx} through a
 * static route, and the test compares what arrived with what was accepted.
 */
class DeliveryEndToEndIT {
    private static final int MESSAGES = 10_000;
    private static final int SESSIONS = 20;

    @Test
    void tenThousandMessagesArriveOnceAndByteIdentical() throws Exception {
        try (TestMx mx = TestMx.builder().start();
             TestRelay relay = TestRelay.startWithDatabase("e2e", "", route(mx.address(), "")
                     + ShapingFiles.key("default: {connection_limit: 10, max_deliveries_per_connection: 1000}\n"))) {
            Map<String, byte[]> sent = new ConcurrentHashMap<>();
            AtomicInteger next = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < SESSIONS; t++) {
                Thread thread = new Thread(() -> {
                    try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
                        assertThat(client.reply().code()).isEqualTo(220);
                        assertThat(client.command("EHLO load.test").code()).isEqualTo(250);
                        int n;
                        while ((n = next.getAndIncrement()) < MESSAGES) {
                            String id = "<" + n + ".e2e@load.test>";
                            byte[] content = content(id, n);
                            assertThat(client.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
                            assertThat(client.command("RCPT TO:<user" + n + "@example.test>").code()).isEqualTo(250);
                            assertThat(client.command("DATA").code()).isEqualTo(354);
                            client.sendBytes(stuffed(content));
                            assertThat(client.command(".").code()).as("message %d", n).isEqualTo(250);
                            sent.put(id, content);
                        }
                        client.command("QUIT");
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "submit-" + t);
                thread.start();
                threads.add(thread);
            }
            for (Thread thread : threads) {
                thread.join(TimeUnit.MINUTES.toMillis(5));
            }
            assertThat(errors).isEmpty();
            assertThat(sent).hasSize(MESSAGES);

            awaitTrue(Duration.ofMinutes(3), () -> mx.transactions().size() >= MESSAGES);
            Thread.sleep(500); // a duplicate would show up now
            Map<String, Integer> seen = new HashMap<>();
            for (TestMx.Transaction tx : mx.transactions()) {
                String text = new String(tx.data(), StandardCharsets.ISO_8859_1);
                String id = text.substring(text.indexOf("Message-ID: ") + 12, text.indexOf('>', text.indexOf(
                        "Message-ID: ")) + 1);
                seen.merge(id, 1, Integer::sum);
                byte[] original = sent.get(id);
                assertThat(original).as("delivered message %s was submitted", id).isNotNull();
                assertThat(text).startsWith("Received: from load.test");
                // our Received header (folded over lines), then the submitted bytes unchanged
                int start = text.indexOf("\r\nMessage-ID: ") + 2;
                assertThat(java.util.Arrays.copyOfRange(tx.data(), start, tx.data().length)).isEqualTo(original);
                assertThat(tx.recipients()).hasSize(1);
                assertThat(tx.mailFrom()).contains("app@shop.test");
            }
            assertThat(seen).hasSize(MESSAGES);
            assertThat(seen.values()).allMatch(count -> count == 1);
            assertThat(mx.maxConcurrentConnections()).isLessThanOrEqualTo(10);

            awaitTrue(Duration.ofSeconds(30), () -> relay.spool().countMessages().block() == 0L);
            ConnectionPool pool = relay.database().pool(1);
            try {
                Map<Short, Long> kinds = eventCounts(pool);
                assertThat(kinds.get(EventKind.ACCEPTED.code())).isEqualTo((long) MESSAGES); // accepted
                assertThat(kinds.get(EventKind.DELIVERED.code())).isEqualTo((long) MESSAGES); // delivered
            } finally {
                pool.dispose();
            }
        }
    }

    static String route(InetSocketAddress mx, String extra) {
        return "delivery:\n"
                + "  routes: {\"*\": \"127.0.0.1:" + mx.getPort() + " tls=disabled\"}\n"
                + "  poll_interval: 200ms\n"
                + extra;
    }

    /** Headers and a body with what tends to break relays: dot lines, a long line, a bare "." line in text. */
    private static byte[] content(String id, int n) {
        StringBuilder b = new StringBuilder()
                .append("Message-ID: ").append(id).append("\r\n")
                .append("From: app@shop.test\r\nTo: user").append(n).append("@example.test\r\n")
                .append("Subject: order ").append(n).append("\r\n\r\n")
                .append("Hello ").append(n).append("\r\n")
                .append(".leading dot\r\n")
                .append("..two dots\r\n")
                .append("x".repeat(900 + n % 50)).append("\r\n")
                .append(" .\r\n")
                .append("end ").append(n).append("\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] stuffed(byte[] content) {
        String text = new String(content, StandardCharsets.US_ASCII);
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\r\n", -1)) {
            if (out.length() > 0) {
                out.append("\r\n");
            }
            out.append(line.startsWith(".") ? "." + line : line);
        }
        String s = out.toString();
        // content ends with CRLF: split left a trailing empty element, so s ends with CRLF already
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static Map<Short, Long> eventCounts(ConnectionPool pool) {
        Map<Short, Long> counts = new HashMap<>();
        Flux.usingWhen(pool.create(), c -> Flux.from(c.createStatement(
                                "SELECT kind, count(*) FROM event GROUP BY kind").execute())
                        .flatMap(r -> r.map((row, meta) -> Map.entry(row.get(0, Short.class), row.get(1, Long.class)))),
                io.r2dbc.spi.Connection::close)
                .doOnNext(e -> counts.put(e.getKey(), e.getValue()))
                .blockLast(Duration.ofSeconds(30));
        return counts;
    }
}
