package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.delivery.DeliveryOutcome.Bounced;
import dev.relay.engine.delivery.DeliveryOutcome.ConnectionFailed;
import dev.relay.engine.delivery.DeliveryOutcome.Deferred;
import dev.relay.engine.delivery.DeliveryOutcome.Delivered;
import dev.relay.engine.routing.NextHop;
import dev.relay.engine.testing.TestMx;
import dev.relay.engine.testing.TestMx.Action;
import dev.relay.storage.MessageId;
import dev.relay.storage.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The pooled SMTP client against {@link TestMx} over real sockets. */
class DeliveryClientIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] BODY = "Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);

    private PooledDeliveryClient client;
    private final List<TestMx> mxs = new ArrayList<>();

    @BeforeEach
    void createClient() {
        client = new PooledDeliveryClient("relay.test");
    }

    @AfterEach
    void closeAll() {
        client.closeGracefully().block(WAIT);
        mxs.forEach(TestMx::close);
    }

    private TestMx start(TestMx.Builder builder) {
        TestMx mx = builder.start();
        mxs.add(mx);
        return mx;
    }

    static SiteLimits limits(int connections, int perConnection, Duration idle, TlsMode tls) {
        Duration t = Duration.ofSeconds(5);
        return new SiteLimits(connections, perConnection, 100, idle, t, Duration.ofMillis(800), t, t, t, tls);
    }

    static SiteLimits limits() {
        return limits(5, 100, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
    }

    static NextHop hop(InetSocketAddress address) {
        return new NextHop("localhost", address, TlsMode.OPPORTUNISTIC, false);
    }

    static Envelope envelope(String... recipients) {
        return new Envelope(MessageId.newId(), "sender@origin.test", List.of(recipients), BODY, false, false);
    }

    private AttemptResult deliver(TestMx mx, SiteLimits limits, Envelope envelope) {
        return client.deliver("site", List.of(hop(mx.address())), limits, envelope).block(WAIT);
    }

    @Test
    void deliversWithPipeliningInOneRead() {
        TestMx mx = start(TestMx.builder());
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test", "b@dest.test"));
        assertThat(result.outcomes()).allSatisfy(o -> assertThat(o).isInstanceOf(Delivered.class));
        assertThat(mx.transactions()).singleElement().satisfies(t -> {
            assertThat(t.mailFrom()).isEqualTo("sender@origin.test");
            assertThat(t.recipients()).containsExactly("a@dest.test", "b@dest.test");
            assertThat(t.data()).isEqualTo(BODY);
        });
        List<TestMx.Command> commands = mx.commands();
        int mailRead = read(commands, "MAIL");
        assertThat(commands).filteredOn(c -> c.line().startsWith("RCPT") || c.line().equals("DATA"))
                .hasSize(3).allSatisfy(c -> assertThat(c.read()).isEqualTo(mailRead));
        assertThat(commands.stream().filter(c -> c.line().startsWith("MAIL")).findFirst().orElseThrow().line())
                .isEqualTo("MAIL FROM:<sender@origin.test> SIZE=" + BODY.length);
    }

    @Test
    void deliversOneCommandAtATimeWithoutPipelining() {
        TestMx mx = start(TestMx.builder().pipelining(false).size(-1));
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test", "b@dest.test"));
        assertThat(result.outcomes()).allSatisfy(o -> assertThat(o).isInstanceOf(Delivered.class));
        List<TestMx.Command> commands = mx.commands();
        assertThat(commands.stream().map(TestMx.Command::read).distinct().count()).isEqualTo(commands.size());
        assertThat(mx.commands(1)).startsWith("EHLO relay.test", "MAIL FROM:<sender@origin.test>",
                "RCPT TO:<a@dest.test>", "RCPT TO:<b@dest.test>", "DATA");
    }

    @Test
    void contentArrivesByteIdenticalIncludingLinesStartingWithDots() {
        TestMx mx = start(TestMx.builder());
        byte[] content = ".first\r\n..second\r\n.\r\nmiddle\r\n. \r\nno final newline"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' : i % 80 == 0 ? '.' : 'x');
        }
        for (byte[] body : List.of(content, big)) {
            Envelope envelope = new Envelope(MessageId.newId(), "", List.of("a@dest.test"), body, false, false);
            assertThat(deliver(mx, limits(), envelope).outcomes()).singleElement().isInstanceOf(Delivered.class);
        }
        assertThat(mx.transactions()).hasSize(2);
        assertThat(new String(mx.transactions().get(0).data(), StandardCharsets.US_ASCII))
                .isEqualTo(new String(content, StandardCharsets.US_ASCII) + "\r\n");
        assertThat(mx.transactions().get(0).mailFrom()).isEmpty();
        assertThat(mx.transactions().get(1).data()).isEqualTo(big);
    }

    @Test
    void opportunisticStartTls() {
        TestMx mx = start(TestMx.builder().starttls(true));
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test"));
        assertThat(result.outcomes()).singleElement().isInstanceOf(Delivered.class);
        assertThat(mx.commands(1)).startsWith("EHLO relay.test", "STARTTLS", "EHLO relay.test");
        assertThat(mx.transactions()).hasSize(1);
    }

    @Test
    void requiredTlsNotOfferedDefersWithoutMail() {
        TestMx mx = start(TestMx.builder());
        AttemptResult result = deliver(mx, limits(5, 100, Duration.ofSeconds(30), TlsMode.REQUIRED),
                envelope("a@dest.test"));
        assertThat(result.outcomes()).singleElement().isInstanceOfSatisfying(Deferred.class,
                d -> assertThat(d.reply()).isEqualTo(ReplyClassifier.TLS_NOT_OFFERED));
        assertThat(mx.commands()).noneMatch(c -> c.line().startsWith("MAIL"));
    }

    @Test
    void verifiedTlsWithAnUntrustedCertificateDefers() {
        TestMx mx = start(TestMx.builder().starttls(true));
        NextHop verifying = new NextHop("localhost", mx.address(), TlsMode.REQUIRED, true);
        AttemptResult result = client.deliver("site", List.of(verifying), limits(), envelope("a@dest.test")).block(WAIT);
        assertThat(result.outcomes()).singleElement().isInstanceOfSatisfying(Deferred.class,
                d -> assertThat(d.reply()).isEqualTo(ReplyClassifier.TLS_FAILED));
        assertThat(mx.transactions()).isEmpty();
    }

    @Test
    void partialRecipients() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("RCPT") && step.argument().contains("bad@")
                ? Action.reply(550, "5.1.1", "no such user") : null));
        AttemptResult result = deliver(mx, limits(), envelope("good@dest.test", "bad@dest.test", "also@dest.test"));
        assertThat(result.outcomes().get(0)).isInstanceOf(Delivered.class);
        assertThat(result.outcomes().get(1)).isInstanceOfSatisfying(Bounced.class,
                b -> assertThat(b.reply().status()).hasToString("5.1.1"));
        assertThat(result.outcomes().get(2)).isInstanceOf(Delivered.class);
        assertThat(mx.transactions()).singleElement()
                .satisfies(t -> assertThat(t.recipients()).containsExactly("good@dest.test", "also@dest.test"));
    }

    @Test
    void everyRecipientRefusedSendsRsetAndNoContent() {
        TestMx mx = start(TestMx.builder().pipelining(false)
                .script(step -> step.is("RCPT") ? Action.reply(550, "5.1.1", "no such user") : null));
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test", "b@dest.test"));
        assertThat(result.outcomes()).allSatisfy(o -> assertThat(o).isInstanceOf(Bounced.class));
        assertThat(mx.commands(1)).doesNotContain("DATA").contains("RSET");
    }

    @Test
    void transientReplyDefers() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("DATA_END") && step.attempt() == 1
                ? Action.reply(451, "4.7.1", "greylisted, try later") : null));
        assertThat(deliver(mx, limits(), envelope("a@dest.test")).outcomes()).singleElement()
                .isInstanceOfSatisfying(Deferred.class, d -> assertThat(d.reply().code()).isEqualTo(451));
        assertThat(deliver(mx, limits(), envelope("a@dest.test")).outcomes()).singleElement()
                .isInstanceOf(Delivered.class);
    }

    @Test
    void permanentMailReplyBouncesEveryone() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("MAIL")
                ? Action.reply(550, "5.7.1", "sender rejected") : null));
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test", "b@dest.test"));
        assertThat(result.outcomes()).hasSize(2).allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(Bounced.class,
                b -> assertThat(b.reply().code()).isEqualTo(550)));
        assertThat(mx.transactions()).isEmpty();
    }

    @Test
    void droppedMidDataIsConnectionFailed() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("CONTENT") ? Action.DROP : null));
        AttemptResult result = deliver(mx, limits(), envelope("a@dest.test", "b@dest.test"));
        assertThat(result.outcomes()).hasSize(2).allSatisfy(o -> assertThat(o).isInstanceOf(ConnectionFailed.class));
    }

    @Test
    void refusedConnectionFailsFast() throws IOException {
        InetSocketAddress closed;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = (InetSocketAddress) socket.getLocalSocketAddress();
        }
        long start = System.nanoTime();
        AttemptResult result = client.deliver("site", List.of(hop(closed)), limits(), envelope("a@dest.test"))
                .block(WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(result.outcomes()).singleElement().isInstanceOfSatisfying(ConnectionFailed.class,
                c -> assertThat(c.cause()).contains("refused"));
        assertThat(client.counts("site")).isEqualTo(SiteCounts.EMPTY);
    }

    @Test
    void blackholeTimesOutAtTheGreeting() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("GREETING") ? Action.SILENCE : null));
        long start = System.nanoTime();
        // subscribed, not blocked on: BlockHound would catch any blocking call on the client's loops meanwhile
        AttemptResult result = client.deliver("site", List.of(hop(mx.address())), limits(), envelope("a@dest.test"))
                .block(WAIT);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofMillis(700), Duration.ofSeconds(5));
        assertThat(result.outcomes()).singleElement().isInstanceOfSatisfying(ConnectionFailed.class,
                c -> assertThat(c.cause()).contains("greeting"));
    }

    @Test
    void reusesConnectionsUpToTheLimitWithTheNextMailRightAfterACompletedTransaction() {
        TestMx mx = start(TestMx.builder());
        SiteLimits limits = limits(1, 3, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        for (int i = 0; i < 4; i++) {
            assertThat(deliver(mx, limits, envelope("a@dest.test")).outcomes()).singleElement()
                    .isInstanceOf(Delivered.class);
        }
        assertThat(mx.transactions()).extracting(TestMx.Transaction::connection).containsExactly(1, 1, 1, 2);
        List<String> first = mx.commands(1);
        assertThat(first).as("RFC 5321 4.1.1.5: the transaction is over at the final reply").doesNotContain("RSET");
        assertThat(first).containsExactly("EHLO relay.test",
                "MAIL FROM:<sender@origin.test> SIZE=" + BODY.length, "RCPT TO:<a@dest.test>", "DATA",
                "MAIL FROM:<sender@origin.test> SIZE=" + BODY.length, "RCPT TO:<a@dest.test>", "DATA",
                "MAIL FROM:<sender@origin.test> SIZE=" + BODY.length, "RCPT TO:<a@dest.test>", "DATA", "QUIT");
    }

    @Test
    void anAbortedTransactionIsRsetBeforeTheNextMail() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("RCPT") && step.argument().contains("gone@")
                ? Action.reply(550, "5.1.1", "no such user") : null));
        SiteLimits limits = limits(1, 100, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        assertThat(deliver(mx, limits, envelope("gone@dest.test")).outcomes()).singleElement()
                .isInstanceOf(Bounced.class);
        assertThat(deliver(mx, limits, envelope("a@dest.test")).outcomes()).singleElement()
                .isInstanceOf(Delivered.class);
        List<String> first = mx.commands(1);
        assertThat(first).containsSubsequence("RCPT TO:<gone@dest.test>", "DATA", "RSET",
                "MAIL FROM:<sender@origin.test> SIZE=" + BODY.length, "RCPT TO:<a@dest.test>", "DATA");
        assertThat(first.stream().filter("RSET"::equals).count()).isEqualTo(1);
        assertThat(mx.transactions()).extracting(TestMx.Transaction::connection).containsExactly(1);
    }

    @Test
    void aReusedConnectionThePeerDroppedBeforeAnyReplyIsReplacedAndTheMessageDelivered() {
        // the peer closes as our MAIL arrives on the reused connection (its idle timeout crossing our send)
        TestMx mx = start(TestMx.builder().script(step -> step.is("MAIL") && step.connection() == 1
                && step.transaction() == 2 ? Action.DROP : null));
        SiteLimits limits = limits(1, 100, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        assertThat(deliver(mx, limits, envelope("a@dest.test")).outcomes()).singleElement()
                .isInstanceOf(Delivered.class);
        assertThat(deliver(mx, limits, envelope("b@dest.test")).outcomes()).singleElement()
                .isInstanceOf(Delivered.class);
        assertThat(mx.transactions()).extracting(TestMx.Transaction::connection).containsExactly(1, 2);
        assertThat(mx.transactions().get(1).recipients()).containsExactly("b@dest.test");
        waitUntil(() -> client.counts("site").open() == 1);
    }

    @Test
    void idleConnectionsAreClosed() throws InterruptedException {
        TestMx mx = start(TestMx.builder());
        deliver(mx, limits(2, 100, Duration.ofMillis(300), TlsMode.OPPORTUNISTIC), envelope("a@dest.test"));
        assertThat(client.counts("site")).isEqualTo(new SiteCounts(1, 1, 0, 0));
        waitUntil(() -> mx.connectionsOpen() == 0);
        assertThat(mx.commands(1)).endsWith("QUIT");
        waitUntil(() -> client.counts("site").equals(SiteCounts.EMPTY));
        assertThat(client.counts()).isEmpty();
    }

    @Test
    void connectionLimitHoldsUnderFiftyConcurrentDeliveries() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("DATA_END")
                ? Action.delayed(Duration.ofMillis(20), null) : null));
        SiteLimits limits = limits(3, 10, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        List<AttemptResult> results = Flux.range(0, 50)
                .flatMap(i -> client.deliver("site", List.of(hop(mx.address())), limits, envelope("r" + i + "@dest.test")),
                        50)
                .collectList().block(WAIT);
        assertThat(results).hasSize(50).allSatisfy(r -> assertThat(r.outcomes()).singleElement()
                .isInstanceOf(Delivered.class));
        assertThat(mx.maxConcurrentConnections()).isLessThanOrEqualTo(3);
        assertThat(mx.transactions()).hasSize(50);
        assertThat(client.counts("site").inUse()).isZero();
    }

    @Test
    void aLoweredLimitQuitsOnlyTheIdleConnectionsBeyondIt() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("DATA_END")
                ? Action.delayed(Duration.ofMillis(100), null) : null));
        SiteLimits three = limits(3, 100, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        Flux.range(0, 3).flatMap(i -> client.deliver("site", List.of(hop(mx.address())), three,
                envelope("r" + i + "@dest.test")), 3).blockLast(WAIT);
        assertThat(client.counts("site")).isEqualTo(new SiteCounts(3, 3, 0, 0));

        SiteLimits one = limits(1, 100, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        assertThat(deliver(mx, one, envelope("a@dest.test")).outcomes()).singleElement().isInstanceOf(Delivered.class);
        waitUntil(() -> mx.connectionsOpen() == 1);
        assertThat(mx.connectionsOpened()).as("the kept connection carried the message, none was opened").isEqualTo(3);
        assertThat(client.counts("site")).isEqualTo(new SiteCounts(1, 1, 0, 0));
    }

    @Test
    void secondHopWhenTheFirstRefuses() throws IOException {
        TestMx refusing = start(TestMx.builder().script(step -> step.is("GREETING")
                ? Action.reply(421, "4.3.2", "not now") : null));
        TestMx working = start(TestMx.builder());
        AttemptResult result = client.deliver("site", List.of(hop(refusing.address()), hop(working.address())),
                limits(), envelope("a@dest.test")).block(WAIT);
        assertThat(result.outcomes()).singleElement().isInstanceOf(Delivered.class);
        assertThat(working.transactions()).hasSize(1);
        AttemptResult bothDown = client.deliver("other", List.of(hop(refusing.address())), limits(),
                envelope("a@dest.test")).block(WAIT);
        assertThat(bothDown.outcomes()).singleElement().isInstanceOfSatisfying(Deferred.class,
                d -> assertThat(d.reply().code()).isEqualTo(421));
    }

    @Test
    void smtputf8NeededButNotOfferedBouncesWithoutData() {
        TestMx mx = start(TestMx.builder().smtpUtf8(false));
        Envelope envelope = new Envelope(MessageId.newId(), "s@origin.test", List.of("ü@dest.test"), BODY, false, true);
        assertThat(deliver(mx, limits(), envelope).outcomes()).singleElement().isInstanceOfSatisfying(Bounced.class,
                b -> assertThat(b.reply()).isEqualTo(ReplyClassifier.SMTPUTF8_NOT_OFFERED));
        assertThat(mx.commands()).noneMatch(c -> c.line().startsWith("MAIL") || c.line().equals("DATA"));
    }

    @Test
    void eightBitAndSizeChecks() {
        TestMx mx = start(TestMx.builder().eightBitMime(false).size(10));
        Envelope eightBit = new Envelope(MessageId.newId(), "s@origin.test", List.of("a@dest.test"),
                "x".getBytes(StandardCharsets.US_ASCII), true, false);
        assertThat(deliver(mx, limits(), eightBit).outcomes()).singleElement().isInstanceOfSatisfying(Bounced.class,
                b -> assertThat(b.reply().status()).hasToString("5.6.3"));
        assertThat(deliver(mx, limits(), envelope("a@dest.test")).outcomes()).singleElement()
                .isInstanceOfSatisfying(Bounced.class, b -> assertThat(b.reply().status()).hasToString("5.3.4"));
    }

    @Test
    void cancellingReleasesTheSlot() {
        TestMx mx = start(TestMx.builder().script(step -> step.is("DATA_END") ? Action.SILENCE : null));
        SiteLimits limits = limits(1, 10, Duration.ofSeconds(30), TlsMode.OPPORTUNISTIC);
        client.deliver("site", List.of(hop(mx.address())), limits, envelope("a@dest.test"))
                .timeout(Duration.ofMillis(500), Mono.empty()).block(WAIT);
        waitUntil(() -> client.counts("site").inUse() == 0);
        TestMx other = start(TestMx.builder());
        assertThat(client.deliver("site", List.of(hop(other.address())), limits, envelope("a@dest.test"))
                .block(WAIT).outcomes()).singleElement().isInstanceOf(Delivered.class);
    }

    private static int read(List<TestMx.Command> commands, String prefix) {
        return commands.stream().filter(c -> c.line().startsWith(prefix)).findFirst().orElseThrow().read();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) {
        Await.awaitTrue(WAIT, condition);
    }

    @SuppressWarnings("unused")
    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }
}
