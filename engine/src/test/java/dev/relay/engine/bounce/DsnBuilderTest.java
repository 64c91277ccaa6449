package dev.relay.engine.bounce;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.MessageId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Header;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.dom.field.ContentTypeField;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.junit.jupiter.api.Test;

/** Every DSN is parsed back with Apache James Mime4j in strict mode, with RFC 5322's line limit. */
class DsnBuilderTest {
    private static final Instant ARRIVAL = Instant.parse("2025-03-01T10:00:00Z");
    private static final Instant NOW = Instant.parse("2025-03-02T11:30:00Z");
    private static final MessageId ID = MessageId.parse("01JN9Z4Q8M3V5C0D2E6F7G8H9J");
    private static final String HEADERS = "Received: from client.example.com ([192.0.2.1])\r\n"
            + "\tby relay.example.com with ESMTPS id 01JN9Z4Q8M3V5C0D2E6F7G8H9J;\r\n"
            + "\tSat, 1 Mar 2025 10:00:00 +0000\r\n"
            + "From: Alice <alice@example.com>\r\n"
            + "To: bob@example.net, carol@example.org\r\n"
            + "Subject: Quarterly report\r\n"
            + "Message-ID: <abc@example.com>\r\n";
    private static final byte[] ORIGINAL = (HEADERS + "\r\nThe body, which is not returned.\r\n").getBytes(UTF_8);

    private final DsnBuilder builder = new DsnBuilder(Clock.fixed(NOW, ZoneOffset.UTC), counting(1));

    /** A predictable random source: 1, 2, 3, ... */
    private static RandomGenerator counting(long first) {
        AtomicLong next = new AtomicLong(first);
        return next::getAndIncrement;
    }

    private static FailedRecipient bounced(String address, SmtpReply reply, String host) {
        return new FailedRecipient(address, BounceStatus.of(new DeliveryOutcome.Bounced(host, reply)), NOW);
    }

    private static Dsn dsn(String sender, byte[] content, FailedRecipient... recipients) {
        return Dsn.of("relay.example.com", ID, sender, ARRIVAL, content, List.of(recipients));
    }

    private static Message parse(byte[] content) throws IOException {
        DefaultMessageBuilder parser = new DefaultMessageBuilder();
        parser.setMimeEntityConfig(new MimeConfig.Builder().setStrictParsing(true).setMaxLineLen(1000)
                .setMaxHeaderLen(-1).build());
        return parser.parseMessage(new ByteArrayInputStream(content));
    }

    private static List<Entity> parts(Message message) {
        return ((Multipart) message.getBody()).getBodyParts();
    }

    private static byte[] bytesOf(Entity part) throws IOException {
        try (InputStream in = ((SingleBody) part.getBody()).getInputStream()) {
            return in.readAllBytes();
        }
    }

    /** The delivery-status part as field blocks, each block parsed as a header by Mime4j (which unfolds). */
    private static List<Map<String, String>> statusBlocks(Entity part) throws IOException {
        List<Map<String, String>> blocks = new ArrayList<>();
        for (String block : new String(bytesOf(part), UTF_8).split("\r\n\r\n")) {
            Header header = new DefaultMessageBuilder().parseHeader(
                    new ByteArrayInputStream((block.strip() + "\r\n\r\n").getBytes(UTF_8)));
            Map<String, String> fields = new LinkedHashMap<>();
            for (Field field : header.getFields()) {
                assertThat(fields.put(field.getName(), field.getBody())).as("repeated " + field.getName()).isNull();
            }
            blocks.add(fields);
        }
        return blocks;
    }

    @Test
    void isAMultipartReportOfThreeParts() throws IOException {
        DsnMessage out = builder.build(dsn("alice@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "User unknown"), "mx1.example.net")));
        Message message = parse(out.content());

        assertThat(message.getMimeType()).isEqualTo("multipart/report");
        ContentTypeField type = (ContentTypeField) message.getHeader().getField("Content-Type");
        assertThat(type.getParameter("report-type")).isEqualTo("delivery-status");
        assertThat(parts(message)).extracting(Entity::getMimeType)
                .containsExactly("text/plain", "message/delivery-status", "text/rfc822-headers");
        assertThat(message.getFrom().get(0).getAddress()).isEqualTo("MAILER-DAEMON@relay.example.com");
        assertThat(message.getTo().toString()).contains("alice@example.com");
        assertThat(message.getSubject()).isEqualTo(DsnBuilder.SUBJECT);
        assertThat(message.getDate()).isEqualTo(java.util.Date.from(NOW));
        assertThat(message.getMessageId()).startsWith("<" + ID + ".").endsWith("@relay.example.com>");
        assertThat(message.getHeader().getField("Auto-Submitted").getBody()).isEqualTo("auto-replied");
        assertThat(message.getHeader().getField("MIME-Version").getBody()).isEqualTo("1.0");
        assertThat(out.recipient()).isEqualTo("alice@example.com");
        assertThat(out.body8bit()).isFalse();
        assertThat(out.smtputf8()).isFalse();
    }

    @Test
    void reportsEachRecipient() throws IOException {
        FailedRecipient remote = bounced("bob@example.net",
                SmtpReply.of(550, "5.1.1", "<bob@example.net>: Recipient address rejected"), "mx1.example.net");
        FailedRecipient local = bounced("dave@example.org",
                SmtpReply.of(556, "5.1.10", "example.org accepts no mail (null MX)"), null);
        FailedRecipient expired = new FailedRecipient("carol@example.org",
                BounceStatus.expired(new DeliveryOutcome.Deferred("mx.example.org",
                        SmtpReply.of(451, "4.7.1", "Greylisted"), Duration.ofMinutes(5))),
                NOW.minusSeconds(60));
        Message message = parse(builder.build(dsn("alice@example.com", ORIGINAL, remote, local, expired)).content());

        List<Map<String, String>> blocks = statusBlocks(parts(message).get(1));
        assertThat(blocks).hasSize(4);
        assertThat(blocks.get(0)).containsEntry("Reporting-MTA", "dns; relay.example.com")
                .containsEntry("Arrival-Date", "Sat, 1 Mar 2025 10:00:00 +0000")
                .containsEntry("X-Relay-Queue-ID", ID.toString());
        assertThat(blocks.get(1)).containsExactly(
                Map.entry("Final-Recipient", "rfc822; bob@example.net"),
                Map.entry("Action", "failed"),
                Map.entry("Status", "5.1.1"),
                Map.entry("Remote-MTA", "dns; mx1.example.net"),
                Map.entry("Diagnostic-Code", "smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected"),
                Map.entry("Last-Attempt-Date", "Sun, 2 Mar 2025 11:30:00 +0000"));
        assertThat(blocks.get(2)).containsEntry("Final-Recipient", "rfc822; dave@example.org")
                .containsEntry("Status", "5.1.10")
                .doesNotContainKeys("Remote-MTA", "Diagnostic-Code");
        assertThat(blocks.get(3)).containsEntry("Final-Recipient", "rfc822; carol@example.org")
                .containsEntry("Action", "failed")
                .containsEntry("Status", "4.4.7")
                .containsEntry("Remote-MTA", "dns; mx.example.org")
                .containsEntry("Diagnostic-Code", "smtp; 451 4.7.1 Greylisted")
                .containsEntry("Last-Attempt-Date", "Sun, 2 Mar 2025 11:29:00 +0000");

        String text = new String(bytesOf(parts(message).get(0)), UTF_8);
        assertThat(text.lines()).allMatch(line -> line.length() <= FieldText.FOLD_AT);
        assertThat(text.replace("\r\n    ", " ")).contains("<bob@example.net>: host mx1.example.net said: 550 5.1.1")
                .contains("<dave@example.org>: 556 5.1.10 example.org accepts no mail (null MX)")
                .contains("<carol@example.org>: delivery time expired")
                .contains("host mx.example.org said: 451 4.7.1 Greylisted");
    }

    @Test
    void returnsExactlyTheOriginalHeaderSection() throws IOException {
        Message message = parse(builder.build(dsn("alice@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx1.example.net"))).content());
        assertThat(new String(bytesOf(parts(message).get(2)), UTF_8)).isEqualTo(HEADERS);
        assertThat(new String(builder.build(dsn("alice@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx1.example.net"))).content(), UTF_8))
                .doesNotContain("not returned");
    }

    @Test
    void aHostileReplyCannotInjectFieldsOrLines() throws IOException {
        FailedRecipient hostile = new FailedRecipient("bob@example.net", new BounceStatus(
                new dev.relay.protocol.EnhancedStatus(5, 0, 0), "mx.evil.example\r\nBcc: x",
                new Diagnostic.RemoteReply("550 no\r\nBcc: victim@example.org\r\n\r\n--=_dsn_12\r\nX: \0y\u0085z"),
                false), NOW);
        DsnMessage out = builder.build(dsn("alice@example.com", ORIGINAL, hostile));
        String raw = new String(out.content(), UTF_8);
        assertThat(raw).doesNotContain("\nBcc").doesNotContain("\0").doesNotContain("\u0085")
                .doesNotContain("\r\n\r\n--=_dsn_12\r\nX");
        Message message = parse(out.content());
        assertThat(message.getHeader().getFields("Bcc")).isEmpty();
        assertThat(parts(message)).hasSize(3);
        List<Map<String, String>> blocks = statusBlocks(parts(message).get(1));
        assertThat(blocks).hasSize(2);
        assertThat(blocks.get(1)).doesNotContainKey("Bcc")
                .containsEntry("Diagnostic-Code", "smtp; 550 no Bcc: victim@example.org --=_dsn_12 X: y z")
                .containsEntry("Remote-MTA", "dns; mx.evil.example Bcc: x");
    }

    @Test
    void longRepliesAreFoldedWithinTheLineLimit() throws IOException {
        String words = "word ".repeat(150).strip(); // folded, under the length cap
        String blob = "z".repeat(3000);
        FailedRecipient verbose = new FailedRecipient("bob@example.net", new BounceStatus(
                new dev.relay.protocol.EnhancedStatus(5, 7, 1), "mx1.example.net",
                new Diagnostic.RemoteReply("550 5.7.1 " + words), false), NOW);
        FailedRecipient blobby = new FailedRecipient("carol@example.org", new BounceStatus(
                new dev.relay.protocol.EnhancedStatus(5, 7, 1), "mx1.example.org",
                new Diagnostic.RemoteReply("550 5.7.1 " + blob), false), NOW);
        byte[] content = builder.build(dsn("alice@example.com", ORIGINAL, verbose, blobby)).content();
        assertLinesWithinLimit(content);
        List<Map<String, String>> blocks = statusBlocks(parts(parse(content)).get(1));
        assertThat(blocks.get(1).get("Diagnostic-Code")).isEqualTo("smtp; 550 5.7.1 " + words);
        String cut = blocks.get(2).get("Diagnostic-Code");
        assertThat(cut).startsWith("smtp; 550 5.7.1 zzz").endsWith("...");
        assertThat(cut.replace(" ", "").length()).isLessThanOrEqualTo(FieldText.MAX_CHARS + 10);
    }

    @Test
    void utf8AddressesUseTheGlobalForms() throws IOException {
        byte[] original = ("From: Jürgen <jürgen@example.com>\r\nSubject: Grüße\r\n\r\nHallo\r\n").getBytes(UTF_8);
        FailedRecipient chinese = bounced("用户@example.net",
                SmtpReply.of(550, "5.1.1", "Benutzer unbekannt: 用户"), "mx.example.net");
        FailedRecipient ascii = bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx.example.net");
        DsnMessage out = builder.build(dsn("alice@example.com", original, chinese, ascii));
        assertThat(out.body8bit()).isTrue();
        assertThat(out.smtputf8()).as("the sender and every top-level field are ASCII").isFalse();
        assertLinesWithinLimit(out.content());

        Message message = parse(out.content());
        assertThat(((ContentTypeField) message.getHeader().getField("Content-Type")).getParameter("report-type"))
                .isEqualTo("global-delivery-status");
        assertThat(parts(message)).extracting(Entity::getMimeType)
                .containsExactly("text/plain", "message/global-delivery-status", "message/global-headers");
        List<Map<String, String>> blocks = statusBlocks(parts(message).get(1));
        assertThat(blocks.get(1)).containsEntry("Final-Recipient", "utf-8; 用户@example.net")
                .containsEntry("Diagnostic-Code", "smtp; 550 5.1.1 Benutzer unbekannt: 用户");
        assertThat(blocks.get(2)).containsEntry("Final-Recipient", "rfc822; bob@example.net");
        assertThat(bytesOf(parts(message).get(2)))
                .isEqualTo("From: Jürgen <jürgen@example.com>\r\nSubject: Grüße\r\n".getBytes(UTF_8));
        assertThat(new String(bytesOf(parts(message).get(0)), UTF_8)).contains("<用户@example.net>: host");
    }

    @Test
    void aUtf8SenderNeedsSmtputf8() {
        DsnMessage out = builder.build(dsn("jürgen@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx.example.net")));
        assertThat(out.smtputf8()).isTrue();
        assertThat(new String(out.content(), UTF_8)).contains("\r\nTo: <jürgen@example.com>\r\n");
    }

    @Test
    void asciiDsnsStaySevenBitEvenWhenTheServerSentUtf8() throws IOException {
        DsnMessage out = builder.build(dsn("alice@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "Benutzer unbekannt: Jürgen"), "mx")));
        assertThat(out.body8bit()).isFalse();
        for (byte b : out.content()) {
            assertThat(b).isNotNegative();
        }
        Map<String, String> recipient = statusBlocks(parts(parse(out.content())).get(1)).get(1);
        assertThat(recipient).containsEntry("Diagnostic-Code", "smtp; 550 5.1.1 Benutzer unbekannt: J?rgen");
    }

    @Test
    void theBoundaryNeverOccursInTheContent() throws IOException {
        // the counting source makes "=_dsn_12" the first boundary tried; the original's headers contain it
        byte[] trap = ("X-Trap: --=_dsn_12\r\n" + HEADERS + "\r\nbody\r\n").getBytes(UTF_8);
        Message message = parse(builder.build(dsn("alice@example.com", trap,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx"))).content());
        String boundary = ((ContentTypeField) message.getHeader().getField("Content-Type")).getBoundary();
        assertThat(boundary).isEqualTo("=_dsn_34");
        assertThat(parts(message)).hasSize(3);
        assertThat(new String(bytesOf(parts(message).get(2)), UTF_8)).startsWith("X-Trap: --=_dsn_12\r\n");
    }

    @Test
    void everyLineEndsWithCrlf() {
        byte[] content = builder.build(dsn("alice@example.com", "A: 1\nB: 2\n\nbody".getBytes(UTF_8),
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx"))).content();
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                assertThat(i).isPositive();
                assertThat(content[i - 1]).as("LF at " + i).isEqualTo((byte) '\r');
            }
            if (content[i] == '\r') {
                assertThat(content[i + 1]).as("CR at " + i).isEqualTo((byte) '\n');
            }
        }
        assertLinesWithinLimit(content);
    }

    @Test
    void neverBouncesABounce() {
        assertThat(DsnBuilder.needsDsn("")).isFalse();
        assertThat(DsnBuilder.needsDsn("alice@example.com")).isTrue();
        FailedRecipient bob = bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx");
        assertThatThrownBy(() -> dsn("", ORIGINAL, bob)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null reverse path");
        assertThatThrownBy(() -> dsn("alice@example.com", ORIGINAL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> dsn("alice@example.com\r\nBcc: x", ORIGINAL, bob))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bounced("bob@example.net\n", SmtpReply.of(550, "5.1.1", "no"), "mx"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSameInputsGiveTheSameBytes() {
        Dsn dsn = dsn("alice@example.com", ORIGINAL,
                bounced("bob@example.net", SmtpReply.of(550, "5.1.1", "no"), "mx"));
        DsnBuilder again = new DsnBuilder(Clock.fixed(NOW, ZoneOffset.UTC), counting(1));
        assertThat(builder.build(dsn)).isEqualTo(again.build(dsn));
        assertThat(new DsnBuilder().build(dsn).content()).isNotEmpty();
    }

    private static void assertLinesWithinLimit(byte[] content) {
        int lineStart = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                assertThat(i - 1 - lineStart).as("line at " + lineStart).isLessThanOrEqualTo(998);
                lineStart = i + 1;
            }
        }
    }
}
