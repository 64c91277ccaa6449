package dev.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.smtp.DefaultLastSmtpContent;
import io.netty.handler.codec.smtp.SmtpRequestEncoder;
import io.netty.handler.codec.smtp.SmtpRequests;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The client-side helpers on top of codec-smtp: dot-stuffing, EHLO keywords, replies read from a server. */
class ClientHelpersTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|''",
        "a\\r\\n|a\\r\\n",
        "a|a\\r\\n",
        ".|..\\r\\n",
        ".a\\r\\n|..a\\r\\n",
        "a\\r\\n.b\\r\\n|a\\r\\n..b\\r\\n",
        "a\\r\\n.\\r\\n|a\\r\\n..\\r\\n",
        "a\\r\\n..\\r\\n.\\r\\n|a\\r\\n...\\r\\n..\\r\\n",
        "a.b\\r\\n. c|a.b\\r\\n.. c\\r\\n",
        "x\\n.y\\r\\n|x\\n..y\\r\\n",
        "a\\r\\n\\r\\n.|a\\r\\n\\r\\n..\\r\\n"})
    void dotStuffing(String stored, String wire) {
        ByteBuf out = DotStuffing.stuff(unescape(stored).getBytes(StandardCharsets.UTF_8));
        try {
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(unescape(wire));
        } finally {
            out.release(); // the empty buffer is a shared constant: release() returns false for it
        }
    }

    @Test
    void dotStuffingWrapsTheArrayWhenNothingChanges() {
        byte[] content = "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        ByteBuf out = DotStuffing.stuff(content);
        assertThat(out.hasArray()).isTrue();
        assertThat(out.array()).isSameAs(content);
        out.release();
    }

    @Test
    void stuffedContentThroughCodecSmtpRoundTripsThroughOurServerDecoder() {
        byte[] content = ".leading\r\nmid\r\n..two\r\n.\r\nlast".getBytes(StandardCharsets.US_ASCII);
        EmbeddedChannel client = new EmbeddedChannel(new SmtpRequestEncoder());
        client.writeOutbound(SmtpRequests.data(), new DefaultLastSmtpContent(DotStuffing.stuff(content)));
        EmbeddedChannel server = new EmbeddedChannel(new SmtpServerDecoder());
        ByteBuf wire;
        StringBuilder received = new StringBuilder();
        while ((wire = client.readOutbound()) != null) {
            server.writeInbound(wire);
            Object in;
            while ((in = server.readInbound()) != null) {
                if (in instanceof SmtpCommand c && c.verb() == Verb.DATA) {
                    ((SmtpServerDecoder) server.pipeline().first()).expectData(1 << 20);
                } else if (in instanceof DataContent d) {
                    received.append(d.content().toString(StandardCharsets.US_ASCII));
                    d.release();
                } else if (in instanceof DataEnd) {
                    received.append("<END>");
                }
            }
        }
        assertThat(received.toString()).isEqualTo(".leading\r\nmid\r\n..two\r\n.\r\nlast\r\n<END>");
        assertThat(client.finishAndReleaseAll()).isFalse();
        assertThat(server.finishAndReleaseAll()).isFalse();
    }

    @Test
    void ehloKeywords() {
        EhloCapabilities caps = EhloCapabilities.parse(List.of("mx.example greets you", "pipelining", "SIZE 35882577",
                "8BITMIME", "SMTPUTF8", "STARTTLS", "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH PLAIN", "XFOO bar"));
        assertThat(caps).isEqualTo(new EhloCapabilities(true, true, 35882577, true, true, true, true, true));
    }

    @Test
    void ehloFirstLineIsNeverAKeywordAndSizeMayLackALimit() {
        assertThat(EhloCapabilities.parse(List.of("PIPELINING"))).isEqualTo(EhloCapabilities.NONE);
        assertThat(EhloCapabilities.parse(List.of("mx", "SIZE")).sizeAdvertised()).isTrue();
        assertThat(EhloCapabilities.parse(List.of("mx", "SIZE")).maxSize()).isZero();
        assertThat(EhloCapabilities.parse(List.of("mx", "SIZE x12")).maxSize()).isZero();
        assertThat(EhloCapabilities.parse(List.of("mx", "SIZE 99999999999999999999")).maxSize()).isZero();
        assertThat(EhloCapabilities.parse(List.of("mx", "SIZE 0")).maxSize()).isZero();
    }

    @Test
    void replyFromWireWithEnhancedStatusOnEveryLine() {
        SmtpReply reply = SmtpReply.fromWire(550, List.of("5.1.1 no such user", "5.1.1 really"));
        assertThat(reply).isEqualTo(SmtpReply.of(550, "5.1.1", "no such user", "really"));
    }

    @Test
    void replyFromWireWithoutOrWithMismatchedStatus() {
        assertThat(SmtpReply.fromWire(250, List.of("mx.example", "PIPELINING")).status()).isNull();
        assertThat(SmtpReply.fromWire(451, List.of("5.7.1 mismatched class")))
                .isEqualTo(SmtpReply.of(451, null, "5.7.1 mismatched class"));
        assertThat(SmtpReply.fromWire(354, List.of("go ahead")).status()).isNull();
        assertThat(SmtpReply.fromWire(250, List.of())).isEqualTo(SmtpReply.of(250, null, ""));
        assertThat(SmtpReply.fromWire(250, List.of("2.0.0")).status()).hasToString("2.0.0");
        assertThat(SmtpReply.fromWire(250, List.of("2.0.0x ok")).status()).isNull();
    }

    @Test
    void replyFromWireRejectsImpossibleCodes() {
        assertThatThrownBy(() -> SmtpReply.fromWire(199, List.of("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.fromWire(600, List.of("x"))).isInstanceOf(IllegalArgumentException.class);
    }

    private static String unescape(String text) {
        return text.replace("\\r", "\r").replace("\\n", "\n");
    }
}
