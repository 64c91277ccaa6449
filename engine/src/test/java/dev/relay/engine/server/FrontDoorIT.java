package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.SmtpTestClient.Reply;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.MessageId;
import dev.relay.storage.StoredMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The front door over real sockets against the real PostgreSQL, driven by a raw JDK client so that every byte
 * (hostile ones included) is exactly what the test says. Clients on 127.0.0.1 are in relay_networks here.
 */
class FrontDoorIT {
    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.startWithDatabase("frontdoor", "  max_message_size: 64KB\n  max_recipients: 3\n");
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private static SmtpTestClient ehlo() throws IOException {
        SmtpTestClient client = SmtpTestClient.connect(relay.smtp());
        assertThat(client.reply().code()).isEqualTo(220);
        assertThat(client.command("EHLO client.test").code()).isEqualTo(250);
        return client;
    }

    private static long messages() {
        return relay.spool().countMessages().block(Duration.ofSeconds(10));
    }

    private static StoredMessage stored(Reply queued) {
        assertThat(queued.code()).as(queued.text()).isEqualTo(250);
        assertThat(queued.text()).startsWith("2.0.0 Ok: queued as ");
        String id = queued.text().substring("2.0.0 Ok: queued as ".length()).trim();
        return relay.spool().find(MessageId.parse(id)).block(Duration.ofSeconds(10));
    }

    private static String body(StoredMessage message) {
        return new String(message.content(), StandardCharsets.UTF_8);
    }

    @Test
    void ehloAdvertisesExtensionsAndOffersAuthOnlyAfterTls() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            Reply greeting = client.reply();
            assertThat(greeting.code()).isEqualTo(220);
            assertThat(greeting.text()).startsWith("relay.test ESMTP");
            Reply ehlo = client.command("EHLO client.test");
            assertThat(ehlo.lines()).contains("PIPELINING", "SIZE 65536", "8BITMIME", "SMTPUTF8",
                    "ENHANCEDSTATUSCODES", "STARTTLS", "CHUNKING");
            assertThat(ehlo.lines()).noneMatch(line -> line.startsWith("AUTH"));
            assertThat(client.command("AUTH PLAIN AHNob3AAczNjcmV0LXBhc3M=").code()).isEqualTo(538);
            assertThat(client.command("STARTTLS").code()).isEqualTo(220);
            client.upgradeToTls();
            Reply afterTls = client.command("EHLO client.test");
            assertThat(afterTls.lines()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
            assertThat(client.command("AUTH PLAIN " + plain(TestRelay.USER, TestRelay.PASSWORD)).code())
                    .isEqualTo(235);
        }
    }

    @Test
    void storesTheMessageExactlyAsReceivedWithOurReceivedHeader() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            assertThat(client.command("MAIL FROM:<sender@shop.test>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<Someone@Example.TEST>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            String content = "Subject: hello\r\nFrom: sender@shop.test\r\n\r\n..leading dot\r\nline two\r\n";
            StoredMessage message = stored(client.command(content.replace("\r\n..", "\r\n..") + "."));
            String stored = body(message);
            assertThat(stored).startsWith("Received: from client.test ([127.0.0.1])\r\n\tby relay.test with ESMTP id ");
            assertThat(stored).endsWith("\r\n" + content.replace("\r\n..leading", "\r\n.leading"));
            assertThat(message.reversePath()).isEqualTo("sender@shop.test");
            assertThat(message.recipients()).containsExactly("Someone@Example.TEST");
            assertThat(message.clientAddress()).isEqualTo("127.0.0.1");
            assertThat(message.helo()).isEqualTo("client.test");
            assertThat(message.size()).isEqualTo(message.content().length);
        }
    }

    @Test
    void pipelinedTransactionGetsAllRepliesInOrder() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.send("MAIL FROM:<a@shop.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n");
            assertThat(client.reply().code()).isEqualTo(250);
            assertThat(client.reply().code()).isEqualTo(250);
            assertThat(client.reply().code()).isEqualTo(250);
            assertThat(client.reply().code()).isEqualTo(354);
            client.send("Subject: p\r\n\r\nx\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<d@example.test>\r\nDATA\r\n");
            StoredMessage first = stored(client.reply());
            assertThat(first.recipients()).containsExactly("b@example.test", "c@example.test");
            assertThat(client.reply().code()).isEqualTo(250);
            assertThat(client.reply().code()).isEqualTo(250);
            assertThat(client.reply().code()).isEqualTo(354);
            StoredMessage second = stored(client.command("Subject: q\r\n\r\ny\r\n."));
            assertThat(second.reversePath()).isEmpty();
        }
    }

    @Test
    void smugglingAttemptsNeverEndDataOrSplitTheMessage() throws IOException {
        long before = messages();
        try (SmtpTestClient client = ehlo()) {
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            String smuggled = "Subject: outer\r\n\r\nbody\n.\nMAIL FROM:<evil@attacker.test>\n"
                    + "body2\r\n.\nRCPT TO:<x@y.test>\r\nbody3\r.\r\nDATA\r\n"
                    + "tail\n.\r\nend\r\n";
            StoredMessage message = stored(client.command(smuggled + "."));
            assertThat(body(message)).contains("MAIL FROM:<evil@attacker.test>", "RCPT TO:<x@y.test>", "tail",
                    "end\r\n");
            // Bare line endings were stored as CRLF, never as an end of data.
            assertThat(body(message)).doesNotContain("\n.\n").doesNotContain("\r.\r");
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(messages()).isEqualTo(before + 1);
    }

    @Test
    void plaintextPipelinedAfterStartTlsIsDiscardedNotAnswered() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.send("STARTTLS\r\nMAIL FROM:<injected@attacker.test>\r\n");
            assertThat(client.reply().code()).isEqualTo(220);
            client.upgradeToTls();
            assertThat(client.command("EHLO client.test").code()).isEqualTo(250);
            // Had the injected MAIL run, this RCPT would be accepted.
            assertThat(client.command("RCPT TO:<b@example.test>").code()).isEqualTo(503);
        }
    }

    @Test
    void overlongCommandLineIsRefusedAndTheSessionLivesOn() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            Reply reply = client.command("MAIL FROM:<" + "a".repeat(600) + "@shop.test>");
            assertThat(reply.code()).isEqualTo(500);
            assertThat(reply.text()).startsWith("5.5.2");
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void overlongTextLineRejectsTheMessageAndStoresNothing() throws IOException {
        long before = messages();
        try (SmtpTestClient client = ehlo()) {
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            client.command("DATA");
            Reply reply = client.command("Subject: long\r\n\r\n" + "x".repeat(1200) + "\r\n.");
            assertThat(reply.code()).isEqualTo(554);
            assertThat(reply.text()).startsWith("5.6.0");
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(messages()).isEqualTo(before);
    }

    @Test
    void bodyPastTheSizeLimitIsReadToTheEndThenRefused() throws IOException {
        long before = messages();
        try (SmtpTestClient client = ehlo()) {
            assertThat(client.command("MAIL FROM:<a@shop.test> SIZE=999999").code()).isEqualTo(552);
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            client.command("DATA");
            String line = "y".repeat(78) + "\r\n";
            Reply reply = client.command("Subject: big\r\n\r\n" + line.repeat(2000) + ".");
            assertThat(reply.code()).isEqualTo(552);
            assertThat(reply.text()).startsWith("5.3.4");
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(messages()).isEqualTo(before);
    }

    @Test
    void nulBytesAreRefusedInCommandsAndContent() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            assertThat(client.command("MAIL FROM:<a\0b@shop.test>").code()).isEqualTo(500);
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            client.command("DATA");
            assertThat(client.command("Subject: nul\r\n\r\na\0b\r\n.").code()).isEqualTo(554);
        }
    }

    @Test
    void eightBitContentWithoutEightBitMimeIsAcceptedAndFlagged() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.command("MAIL FROM:<a@shop.test>");
            client.command("RCPT TO:<b@example.test>");
            client.command("DATA");
            StoredMessage message = stored(client.command("Subject: caf\u00e9\r\n\r\nna\u00efve\r\n."));
            assertThat(message.body8bit()).isTrue();
            assertThat(body(message)).contains("na\u00efve");
        }
    }

    @Test
    void internationalAddressesNeedSmtputf8() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            Reply refused = client.command("MAIL FROM:<j\u00f6rg@m\u00fcller.test>");
            assertThat(refused.code()).isEqualTo(553);
            assertThat(refused.text()).startsWith("5.6.7");
            assertThat(client.command("MAIL FROM:<j\u00f6rg@m\u00fcller.test> SMTPUTF8").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<\u00e9l\u00e8ve@\u00e9cole.test>").code()).isEqualTo(250);
            client.command("DATA");
            StoredMessage message = stored(client.command("Subject: utf8\r\n\r\nhi\r\n."));
            assertThat(message.smtputf8()).isTrue();
            assertThat(message.recipients()).containsExactly("\u00e9l\u00e8ve@\u00e9cole.test");
        }
    }

    @Test
    void malformedAddressesSourceRoutesAndUnknownParameters() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            assertThat(client.command("MAIL FROM:<not an address>").code()).isEqualTo(501);
            assertThat(client.command("MAIL FROM:a@shop.test").code()).isEqualTo(501);
            assertThat(client.command("MAIL FROM:<a@shop.test> FROBNICATE=1").code()).isEqualTo(555);
            assertThat(client.command("MAIL FROM:<@relay.one,@relay.two:a@shop.test>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<b@@example.test>").code()).isEqualTo(501);
            assertThat(client.command("RCPT TO:<@hop.test:b@example.test>").code()).isEqualTo(250);
            client.command("DATA");
            StoredMessage message = stored(client.command("Subject: r\r\n\r\nx\r\n."));
            assertThat(message.reversePath()).isEqualTo("a@shop.test");
            assertThat(message.recipients()).containsExactly("b@example.test");
        }
    }

    @Test
    void commandOrderAndUnknownCommands() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.reply();
            assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(503);
            assertThat(client.command("FROBNICATE").code()).isEqualTo(500);
            // Not from a configured load balancer: a PROXY header is just an unknown command.
            assertThat(client.command("PROXY TCP4 198.51.100.9 127.0.0.1 40000 2525").code()).isEqualTo(500);
            assertThat(client.command("EHLO").code()).isEqualTo(501);
            assertThat(client.command("HELO client.test").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<b@example.test>").code()).isEqualTo(503);
            assertThat(client.command("DATA").code()).isEqualTo(503);
            assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(503);
            assertThat(client.command("DATA").code()).isEqualTo(554);
            assertThat(client.command("VRFY someone").code()).isEqualTo(252);
            assertThat(client.command("HELP").code()).isEqualTo(214);
            assertThat(client.command("RSET").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<b@example.test>").code()).isEqualTo(503);
            assertThat(client.command("QUIT").code()).isEqualTo(221);
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void recipientsPastTheLimitGet452() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.command("MAIL FROM:<a@shop.test>");
            for (int i = 0; i < 3; i++) {
                assertThat(client.command("RCPT TO:<r" + i + "@example.test>").code()).isEqualTo(250);
            }
            Reply reply = client.command("RCPT TO:<r4@example.test>");
            assertThat(reply.code()).isEqualTo(452);
            assertThat(reply.text()).startsWith("4.5.3");
        }
    }

    @Test
    void chunkingStoresTheChunksVerbatim() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.command("MAIL FROM:<a@shop.test> BODY=8BITMIME");
            client.command("RCPT TO:<b@example.test>");
            String first = "Subject: chunks\r\n\r\n.not unstuffed\r\n";
            String second = "second\r\n.\r\n";
            client.send("BDAT " + first.length() + "\r\n" + first);
            assertThat(client.reply().code()).isEqualTo(250);
            client.send("BDAT " + second.length() + " LAST\r\n" + second);
            StoredMessage message = stored(client.reply());
            assertThat(body(message)).endsWith("\r\n" + first + second);
            // BDAT for a transaction that does not exist is read and refused, the session stays in sync.
            client.send("BDAT 5 LAST\r\nhello");
            assertThat(client.reply().code()).isEqualTo(503);
            assertThat(client.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void authLoginAndFailureLimit() throws IOException {
        try (SmtpTestClient client = ehlo()) {
            client.command("STARTTLS");
            client.upgradeToTls();
            client.command("EHLO client.test");
            assertThat(client.command("AUTH LOGIN").code()).isEqualTo(334);
            assertThat(client.command(b64(TestRelay.USER)).code()).isEqualTo(334);
            assertThat(client.command(b64("wrong")).code()).isEqualTo(535);
            assertThat(client.command("AUTH PLAIN " + plain(TestRelay.USER, "nope")).code()).isEqualTo(535);
            Reply last = client.command("AUTH PLAIN " + plain("nobody", "nope"));
            assertThat(last.code()).isEqualTo(421);
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }

    static String b64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
