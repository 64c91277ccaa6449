package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.HopLimits;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.delivery.DeliveryOutcome.Bounced;
import dev.relay.engine.delivery.DeliveryOutcome.ConnectionFailed;
import dev.relay.engine.delivery.DeliveryOutcome.Delivered;
import dev.relay.engine.routing.NextHop;
import dev.relay.engine.testing.TestMx;
import dev.relay.storage.MessageId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pooled client against next hops that misbehave on purpose, on raw loopback sockets (TestMx speaks correct
 * SMTP only): an endless {@code 220-} banner, a megabyte without a line end, a peer that answers every command just
 * within its timeout, control characters in replies. Each delivery must end with a bounded, clean outcome that the
 * scheduler retries (ConnectionFailed) or bounces, well before the per-command timeouts, while another site keeps
 * delivering through the same client meanwhile.
 */
class HostileMxIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] BODY = "Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Long per-command timeouts, so that only the limits under test can end these conversations quickly. */
    private static final Duration LONG = Duration.ofSeconds(20);

    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private PooledDeliveryClient client;

    @AfterEach
    void closeAll() throws Exception {
        if (client != null) {
            client.closeGracefully().block(WAIT);
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private PooledDeliveryClient client(HopLimits hopLimits) {
        client = new PooledDeliveryClient("relay.test", hopLimits);
        return client;
    }

    private static SiteLimits limits(Duration timeout) {
        return new SiteLimits(5, 100, 100, Duration.ofSeconds(30), Duration.ofSeconds(5), timeout, timeout, timeout,
                timeout, TlsMode.OPPORTUNISTIC);
    }

    private static Envelope envelope(String... recipients) {
        return new Envelope(MessageId.newId(), "sender@origin.test", List.of(recipients), BODY, false, false);
    }

    private static NextHop hop(InetSocketAddress address) {
        return new NextHop("hostile.test", address, TlsMode.OPPORTUNISTIC, false);
    }

    /** Starts a delivery to {@code hostile}, proves that another site delivers meanwhile, returns the outcome. */
    private DeliveryOutcome deliverWhileAnotherSiteDelivers(RawMx hostile, SiteLimits limits) throws Exception {
        TestMx good = TestMx.builder().start();
        closing.add(good);
        long start = System.nanoTime();
        CompletableFuture<AttemptResult> pending = client.deliver("hostile", List.of(hop(hostile.address())), limits,
                envelope("victim@hostile.test")).toFuture();
        hostile.awaitConnection();
        AttemptResult other = client.deliver("good", List.of(new NextHop("localhost", good.address(),
                TlsMode.OPPORTUNISTIC, false)), limits(Duration.ofSeconds(5)), envelope("a@good.test")).block(WAIT);
        assertThat(other.outcomes()).singleElement().isInstanceOf(Delivered.class);
        AttemptResult result = pending.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("ended by a limit, not by a per-command timeout").isLessThan(LONG);
        assertThat(client.counts("hostile").inUse()).as("its slot is free again").isZero();
        return result.outcomes().get(0);
    }

    @Test
    void endlessContinuationBannerFailsAtTheLineLimit() throws Exception {
        client(HopLimits.defaults());
        RawMx mx = start((in, out, sent) -> {
            byte[] line = "220-mx.hostile.test flooding you\r\n".getBytes(StandardCharsets.US_ASCII);
            while (true) { // until the client closes the connection (write fails)
                out.write(line);
                sent.addAndGet(line.length);
            }
        });
        DeliveryOutcome outcome = deliverWhileAnotherSiteDelivers(mx, limits(LONG));
        assertThat(outcome).isInstanceOfSatisfying(ConnectionFailed.class,
                c -> assertThat(c.cause()).contains("protocol error", "100 lines"));
        mx.awaitClosed();
    }

    @Test
    void megabyteWithoutLineEndFailsAtTheLineLength() throws Exception {
        client(HopLimits.defaults());
        RawMx mx = start((in, out, sent) -> {
            byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            out.write("220 ".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 16; i++) {
                out.write(chunk);
                sent.addAndGet(chunk.length);
            }
            in.readLine(); // then nothing: only the limit can end this
        });
        DeliveryOutcome outcome = deliverWhileAnotherSiteDelivers(mx, limits(LONG));
        assertThat(outcome).isInstanceOfSatisfying(ConnectionFailed.class,
                c -> assertThat(c.cause()).contains("protocol error", "without a line end"));
        mx.awaitClosed();
    }

    @Test
    void tricklingPeerIsCutAtTheTransactionDeadline() throws Exception {
        // every reply arrives well within the 1.5 s command timeout, but the whole conversation takes ~4 s
        client(new HopLimits(100, 64 * 1024, Duration.ofSeconds(2)));
        RawMx mx = start((in, out, sent) -> {
            trickle(out, "220 slow\r\n");
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("DATA")) {
                    trickle(out, "354 go\r\n");
                    while (!".".equals(in.readLine())) {
                        // the content
                    }
                }
                trickle(out, "250 ok\r\n");
            }
        });
        DeliveryOutcome outcome = deliverWhileAnotherSiteDelivers(mx, limits(Duration.ofMillis(1500)));
        assertThat(outcome).isInstanceOfSatisfying(ConnectionFailed.class,
                c -> assertThat(c.cause()).contains("transaction deadline"));
        mx.awaitClosed();
    }

    @Test
    void controlCharactersInRepliesNeverReachTheOutcome() throws Exception {
        client(HopLimits.defaults());
        RawMx mx = start((in, out, sent) -> {
            out.write("220 mx\0\u001b[2J ready\r\n".getBytes(StandardCharsets.UTF_8));
            in.readLine();
            out.write("250-mx\0\r\n250-PIPE\u0007LINING\r\n250 8BITMIME\r\n".getBytes(StandardCharsets.UTF_8));
            in.readLine();
            out.write("550 5.7.1 no\0such\u001b[31m sender\u0085\u007f \u00e9\r\n".getBytes(StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                out.write("250 ok\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        });
        DeliveryOutcome outcome = deliverWhileAnotherSiteDelivers(mx, limits(LONG));
        assertThat(outcome).isInstanceOfSatisfying(Bounced.class, b -> {
            assertThat(b.reply().code()).isEqualTo(550);
            assertThat(b.reply().status()).hasToString("5.7.1");
            assertThat(b.reply().lines()).containsExactly("no?such?[31m sender?? \u00e9");
        });
        assertThat(mx.commands()).startsWith("EHLO relay.test", "MAIL FROM:<sender@origin.test>");
    }

    private static void trickle(OutputStream out, String reply) throws IOException, InterruptedException {
        for (byte b : reply.getBytes(StandardCharsets.US_ASCII)) {
            out.write(b);
            out.flush();
            Thread.sleep(80); // the peer's behaviour under test, not a wait of the test
        }
    }

    private RawMx start(Conversation conversation) throws IOException {
        RawMx mx = new RawMx(conversation);
        closing.add(mx);
        return mx;
    }

    @FunctionalInterface
    interface Conversation {
        void talk(BufferedReader in, OutputStream out, AtomicLong sent) throws Exception;
    }

    /** One raw TCP listener on loopback, one platform thread per connection running {@code conversation}. */
    static final class RawMx implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<String> commands = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Void> connected = new CompletableFuture<>();
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        final AtomicLong sent = new AtomicLong();

        RawMx(Conversation conversation) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket socket = server.accept();
                        sockets.add(socket);
                        connected.complete(null);
                        Thread talker = new Thread(() -> talk(socket, conversation), "raw-mx-talk");
                        talker.setDaemon(true);
                        talker.start();
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "raw-mx-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void talk(Socket socket, Conversation conversation) {
            try (socket) {
                BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8)) {
                    @Override
                    public String readLine() throws IOException {
                        String line = super.readLine();
                        if (line != null) {
                            commands.add(line);
                        }
                        return line;
                    }
                };
                conversation.talk(reader, socket.getOutputStream(), sent);
            } catch (Exception e) {
                // the client closed the connection: what these peers wait for
            } finally {
                closed.complete(null);
            }
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        List<String> commands() {
            return List.copyOf(commands);
        }

        void awaitConnection() throws Exception {
            connected.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        /** The conversation ended: the client closed its side (a write failed or a read saw the end). */
        void awaitClosed() throws Exception {
            closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
