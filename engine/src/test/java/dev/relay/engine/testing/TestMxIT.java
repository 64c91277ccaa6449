package dev.relay.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hostile profiles of {@link TestMx} do what tests rely on, seen from a raw SMTP client. */
class TestMxIT {
    @Test
    void greylistingRefusesUntilTheStatedDelayHasPassedSinceTheFirstAttempt() throws Exception {
        try (TestMx mx = TestMx.builder().greylist(Duration.ofSeconds(2)).start();
             SmtpTestClient client = session(mx)) {
            assertThat(client.command("MAIL FROM:<a@src.test>").code()).isEqualTo(250);
            SmtpTestClient.Reply first = client.command("RCPT TO:<x@dst.test>");
            assertThat(first.code()).isEqualTo(451);
            assertThat(first.text()).matches("4\\.7\\.1 Greylisted, try again in [12] seconds");
            assertThat(client.command("RCPT TO:<y@dst.test>").code()).as("each recipient on its own").isEqualTo(451);
            Thread.sleep(500);
            assertThat(client.command("RCPT TO:<x@dst.test>").code()).as("too early").isEqualTo(451);
            Thread.sleep(1700);
            assertThat(client.command("RCPT TO:<x@dst.test>").code()).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<b@src.test>").code()).as("one transaction at a time").isEqualTo(250);
        }
    }

    @Test
    void greylistingWithoutStatedDelaySpeaksLikePostgrey() throws Exception {
        try (TestMx mx = TestMx.builder().greylistWithoutStatedDelay(Duration.ofMinutes(1)).start();
             SmtpTestClient client = session(mx)) {
            client.command("MAIL FROM:<a@src.test>");
            SmtpTestClient.Reply reply = client.command("RCPT TO:<x@dst.test>");
            assertThat(reply.code()).isEqualTo(450);
            assertThat(reply.text()).isEqualTo("4.2.0 <x@dst.test>: Recipient address rejected: Greylisted, see"
                    + " http://postgrey.schweikert.ch/help/dst.test.html");
            assertThat(mx.attempts("x@dst.test")).singleElement().extracting(TestMx.Event::code).isEqualTo(450);
        }
    }

    @Test
    void connectionsBeyondTheCapGet421AndAreNotCounted() throws Exception {
        try (TestMx mx = TestMx.builder().maxConnections(1).start();
             SmtpTestClient first = session(mx);
             SmtpTestClient second = SmtpTestClient.connect(mx.address())) {
            SmtpTestClient.Reply refused = second.reply();
            assertThat(refused.code()).isEqualTo(421);
            assertThat(refused.text()).isEqualTo("4.7.0 Too many connections");
            assertThat(second.isClosedByServer()).isTrue();
            assertThat(mx.maxConcurrentConnections()).isEqualTo(1);
            assertThat(mx.events().stream().filter(e -> e.is("OPENED")).map(TestMx.Event::code))
                    .containsExactly(0, 421);
            first.command("QUIT");
        }
    }

    @Test
    void aConnectionCarriesAtMostTheCappedNumberOfMessages() throws Exception {
        try (TestMx mx = TestMx.builder().maxMessagesPerConnection(2).start();
             SmtpTestClient client = session(mx)) {
            send(client);
            send(client);
            SmtpTestClient.Reply third = client.command("MAIL FROM:<a@src.test>");
            assertThat(third.code()).isEqualTo(421);
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(mx.messagesPerConnection()).containsExactly(java.util.Map.entry(1, 2L));
        }
        try (TestMx mx = TestMx.builder().maxMessagesPerConnection(1, TestMx.TOO_MANY_MESSAGES_452).start();
             SmtpTestClient client = session(mx)) {
            send(client);
            assertThat(client.command("MAIL FROM:<a@src.test>").code()).as("452: the connection stays")
                    .isEqualTo(452);
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void providerThrottlingStartsAfterTheGivenMessagesAndEndsAfterItsPeriod() throws Exception {
        try (TestMx mx = TestMx.builder().throttle(TestMx.MICROSOFT_SERVER_BUSY, 1, Duration.ofSeconds(1)).start();
             SmtpTestClient client = session(mx)) {
            send(client);
            SmtpTestClient.Reply busy = client.command("MAIL FROM:<a@src.test>");
            assertThat(busy.code()).isEqualTo(451);
            assertThat(busy.text()).startsWith("4.7.500 Server busy. Please try again later");
            Thread.sleep(1200);
            send(client);
            assertThat(mx.transactions()).hasSize(2);
        }
    }

    @Test
    void tarpittingDelaysTheBannerAndEveryReply() throws Exception {
        try (TestMx mx = TestMx.builder().tarpit(Duration.ofMillis(300)).start()) {
            long start = System.nanoTime();
            try (SmtpTestClient client = SmtpTestClient.connect(mx.address())) {
                assertThat(client.reply().code()).isEqualTo(220);
                assertThat(client.command("EHLO c.test").code()).isEqualTo(250);
                assertThat(client.command("NOOP").code()).isEqualTo(250);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }

    @Test
    void theLogHasTimedEventsForEveryCommandResultAndConnection() throws Exception {
        try (TestMx mx = TestMx.builder().start()) {
            try (SmtpTestClient client = session(mx)) {
                send(client);
                send(client);
                client.command("QUIT");
            }
            Await.until(Duration.ofSeconds(5), () -> mx.events().stream().anyMatch(e -> e.is("CLOSED")));
            List<String> steps = mx.events().stream().map(e -> e.step() + " " + e.code()).toList();
            assertThat(steps).containsExactly("OPENED 0", "GREETING 220", "MAIL 250", "RCPT 250", "DATA 354",
                    "DATA_END 250", "MAIL 250", "RCPT 250", "DATA 354", "DATA_END 250", "CLOSED 0");
            assertThat(mx.events()).isSortedAccordingTo(java.util.Comparator.comparingLong(TestMx.Event::nanos));
            assertThat(mx.maxMessagesWithin(Duration.ofMinutes(1))).isEqualTo(2);
            assertThat(mx.maxMessagesWithin(Duration.ofNanos(1))).isEqualTo(1);
            assertThat(mx.attempts("x@dst.test")).hasSize(2).allMatch(e -> e.code() == 250);
        }
    }

    private static SmtpTestClient session(TestMx mx) throws IOException {
        SmtpTestClient client = SmtpTestClient.connect(mx.address());
        assertThat(client.reply().code()).isEqualTo(220);
        assertThat(client.command("EHLO c.test").code()).isEqualTo(250);
        return client;
    }

    private static void send(SmtpTestClient client) throws IOException {
        assertThat(client.command("MAIL FROM:<a@src.test>").code()).isEqualTo(250);
        assertThat(client.command("RCPT TO:<x@dst.test>").code()).isEqualTo(250);
        assertThat(client.command("DATA").code()).isEqualTo(354);
        assertThat(client.command("Subject: t\r\n\r\nbody\r\n.").code()).isEqualTo(250);
    }
}
