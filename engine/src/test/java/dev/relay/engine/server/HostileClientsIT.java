package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.SmtpTestClient.Reply;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.MessageId;
import dev.relay.storage.StoredMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile and careless clients against a real relay on real sockets. Each test uses its own loopback source
 * addresses (127.0.0.x: every one is a different client to the relay), so per-address limits of one test never
 * touch another. 127.0.0.8/29 is in relay_networks (exempt from the per-address limits, may relay); the others are
 * counted.
 */
class HostileClientsIT {
    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.startWithDatabase("hostile", "  relay_networks: [127.0.0.8/29]\n"
                + "  max_connections: 200\n"
                + "  data_timeout: 2s\n"
                // AUTH in the clear: 200 TLS handshakes would measure the CPU of this shared machine, not the limit
                + "  auth: { users_file: users.yaml, require_tls: false }\n"
                + "  client_limits: {max_connections_per_ip: 50, max_new_connections_per_ip_per_minute: 600,"
                + " max_auth_failures_per_ip_per_minute: 10, auth_failure_delay: 1s}\n");
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private static InetAddress local(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    private static SmtpTestClient client(int last) throws IOException {
        return new SmtpTestClient(relay.smtp(), local(last));
    }

    private static SmtpTestClient ehlo(int last) throws IOException {
        SmtpTestClient client = client(last);
        assertThat(client.reply().code()).isEqualTo(220);
        assertThat(client.command("EHLO client.test").code()).isEqualTo(250);
        return client;
    }

    private static String metrics() throws Exception {
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + relay.http().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        return scrape.body();
    }

    /** The value of the first sample of {@code name} whose tags contain {@code tag}. */
    private static double sample(String body, String name, String tag) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(body);
        while (m.find()) {
            if (m.group(1).contains(tag)) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no sample " + name + " with " + tag);
    }

    private static long messages() {
        return relay.spool().countMessages().block(Duration.ofSeconds(10));
    }

    private static StoredMessage stored(Reply queued) {
        assertThat(queued.code()).as(queued.text()).isEqualTo(250);
        String id = queued.text().substring("2.0.0 Ok: queued as ".length()).trim();
        return relay.spool().find(MessageId.parse(id)).block(Duration.ofSeconds(10));
    }

    @Test
    void oneAddressCannotTakeEverySlot() throws Exception {
        List<SmtpTestClient> kept = new ArrayList<>();
        int refused = 0;
        try {
            for (int i = 0; i < 1000; i++) {
                SmtpTestClient client = client(2);
                Reply reply = client.reply();
                if (reply.code() == 220) {
                    kept.add(client);
                    continue;
                }
                assertThat(reply.code()).as("connection %d", i).isEqualTo(421);
                assertThat(reply.text()).as("connection %d", i).startsWith("4.7.0");
                client.close();
                refused++;
            }
            assertThat(kept).hasSize(50);
            assertThat(refused).isEqualTo(950);
            try (SmtpTestClient other = client(3)) {
                assertThat(other.reply().code()).as("a second address is still served").isEqualTo(220);
                assertThat(other.command("EHLO other.test").code()).isEqualTo(250);
            }
            String body = metrics();
            assertThat(sample(body, "relay_smtp_connections_rejected_total", "reason=\"ip_connections\"")
                    + sample(body, "relay_smtp_connections_rejected_total", "reason=\"ip_connection_rate\""))
                    .isGreaterThanOrEqualTo(950);
        } finally {
            kept.forEach(SmtpTestClient::close);
        }
    }

    @Test
    void badAuthFromManyConnectionsDoesNotStarveAGoodOne() throws Exception {
        int attempts = 200;
        int concurrent = 48; // under max_connections_per_ip, so the AUTH limit is what stops them
        CountDownLatch firstWave = new CountDownLatch(concurrent);
        ExecutorService pool = Executors.newFixedThreadPool(concurrent);
        List<Future<Integer>> bad = new ArrayList<>();
        try {
            for (int i = 0; i < attempts; i++) {
                bad.add(pool.submit(() -> {
                    try (SmtpTestClient client = client(4)) {
                        Reply greeting = client.reply();
                        if (greeting.code() != 220) { // a closed connection not yet counted out: also a refusal
                            firstWave.countDown();
                            assertThat(greeting.text()).startsWith("4.7.0");
                            return greeting.code();
                        }
                        client.command("EHLO guesser.test");
                        client.send("AUTH PLAIN " + FrontDoorIT.plain(TestRelay.USER, "wrong-guess") + "\r\n");
                        firstWave.countDown();
                        Reply reply = client.reply();
                        if (reply.code() == 421) {
                            assertThat(reply.text()).startsWith("4.7.0");
                        }
                        return reply.code();
                    }
                }));
            }
            assertThat(firstWave.await(60, TimeUnit.SECONDS)).isTrue();
            try (SmtpTestClient good = ehlo(5)) {
                long started = System.nanoTime();
                Reply reply = good.command("AUTH PLAIN " + FrontDoorIT.plain(TestRelay.USER, TestRelay.PASSWORD));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                System.out.printf("good AUTH took %d ms while %d bad ones ran%n", millis, attempts);
                assertThat(reply.code()).isEqualTo(235);
                assertThat(millis).as("good AUTH while %d bad ones run", attempts).isLessThan(2000);
            }
            int failed = 0;
            int limited = 0;
            for (Future<Integer> f : bad) {
                int code = f.get(120, TimeUnit.SECONDS);
                if (code == 535) {
                    failed++;
                } else if (code == 421) {
                    limited++;
                }
            }
            assertThat(failed).as("password checks for one address in a minute").isEqualTo(10);
            assertThat(limited).isEqualTo(attempts - 10);
            assertThat(sample(metrics(), "relay_smtp_auth_total", "result=\"limited\"")).isGreaterThanOrEqualTo(150);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pipelinedHelpWithoutReadingStopsTheReads() throws Exception {
        byte[] help = "HELP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        long cap = 48L << 20;
        long written = 0;
        boolean stalled = false;
        try (SocketChannel channel = SocketChannel.open(); Selector selector = Selector.open()) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 8192); // before connect: no autotuning
            channel.bind(new InetSocketAddress(local(6), 0));
            channel.connect(relay.smtp());
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer buffer = ByteBuffer.wrap(help);
            while (written < cap) {
                if (!buffer.hasRemaining()) {
                    buffer.rewind();
                }
                int n = channel.write(buffer);
                written += n;
                if (n == 0) {
                    selector.selectedKeys().clear();
                    if (selector.select(3000) == 0) {
                        stalled = true; // no room for 3 s: the relay stopped reading
                        break;
                    }
                }
            }
            String body = metrics();
            double direct = sample(body, "relay_netty_allocator_pinned_bytes", "memory=\"direct\"");
            double helps = sample(body, "relay_smtp_commands_total", "verb=\"HELP\"");
            System.out.printf("HELP flood: %s after %d bytes sent; relay decoded %.0f HELP; direct memory in live"
                    + " buffers %.0f bytes%n", stalled ? "reads stopped" : "no stall", written, helps, direct);
            assertThat(stalled).as("the relay stopped reading after %d bytes of HELP", written).isTrue();
            assertThat(written).isLessThan(cap);
            // Replies wait in the session's outbound buffer only up to Netty's high-water mark (64 KiB); without the
            // backpressure they piled up there (2.9-6.4 MB of live buffers here before the relay stopped reading).
            assertThat(direct).as("direct memory in live buffers while the client does not read")
                    .isLessThan(1 << 20);
        }
        // The session itself is fine: another client is served.
        try (SmtpTestClient other = ehlo(7)) {
            assertThat(other.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void bdatCannotSmuggleBareLineEndingsIntoTheSpool() throws IOException {
        String chunk = "Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<x@evil.test>\r\nmore\r.\rend\r\n";
        try (SmtpTestClient client = ehlo(9)) {
            assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<b@example.test>").code()).isEqualTo(250);
            client.send("BDAT " + chunk.length() + " LAST\r\n" + chunk);
            StoredMessage message = stored(client.reply());
            String content = new String(message.content(), StandardCharsets.ISO_8859_1);
            assertThat(content.replace("\r\n", "")).doesNotContain("\r", "\n");
            assertThat(content).endsWith("hello\r\n.\r\nMAIL FROM:<x@evil.test>\r\nmore\r\n.\r\nend\r\n");
        }
    }

    @Test
    void aMessageThatLoopedIsRefusedAndNotStored() throws IOException {
        long before = messages();
        try (SmtpTestClient client = ehlo(10)) {
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            StringBuilder looped = new StringBuilder();
            for (int i = 0; i < 51; i++) {
                looped.append("Received: from hop").append(i).append(".test by relay.test; Fri, 4 Dec 2026 21:00:00")
                        .append(" +0000\r\n");
            }
            Reply refused = client.command(looped + "Subject: loop\r\n\r\nbody\r\n.");
            assertThat(refused.code()).isEqualTo(554);
            assertThat(refused.text()).startsWith("5.4.6");
            assertThat(messages()).isEqualTo(before);
            assertThat(client.command("NOOP").code()).as("the session goes on").isEqualTo(250);
        }
    }

    @Test
    void tricklingDataIsCutOffByTheWholeTransferDeadline() throws Exception {
        try (SmtpTestClient client = ehlo(11)) {
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: slow\r\n\r\n");
            AtomicBoolean done = new AtomicBoolean();
            AtomicBoolean exhausted = new AtomicBoolean();
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 150 && !done.get(); i++) { // 30 s at most
                        client.send("x");
                        Thread.sleep(200); // the trickle itself: one octet well inside every idle timeout
                    }
                    exhausted.set(!done.get());
                } catch (IOException | InterruptedException e) {
                    // the relay closed the connection
                }
            }, "trickle");
            long started = System.nanoTime();
            trickle.start();
            try {
                Reply reply = client.reply();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(exhausted.get()).as("cut off while still trickling").isFalse();
                assertThat(reply.code()).isEqualTo(421);
                assertThat(reply.text()).startsWith("4.4.2");
                assertThat(millis).isBetween(1500L, 8000L);
            } finally {
                done.set(true);
                trickle.join(5000);
            }
            assertThat(client.isClosedByServer()).isTrue();
        }
        double inFlight = -1;
        for (int i = 0; i < 50 && inFlight != 0; i++) { // the budget is given back before the close completes
            inFlight = sample(metrics(), "relay_smtp_bytes_in_flight_bytes", "");
            if (inFlight != 0) {
                Thread.sleep(100);
            }
        }
        assertThat(inFlight).isZero();
    }
}
