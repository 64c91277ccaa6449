package dev.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpReplyTest {

    @Test
    void singleLineWithEnhancedStatus() {
        assertThat(encode(SmtpReply.of(250, "2.1.0", "Ok"))).isEqualTo("250 2.1.0 Ok\r\n");
    }

    @Test
    void multiLineCarriesStatusOnEveryLine() {
        assertThat(encode(SmtpReply.of(550, "5.7.1", "first", "second", "last")))
                .isEqualTo("550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 last\r\n");
    }

    @Test
    void withoutStatus() {
        assertThat(encode(SmtpReply.of(250, null, "relay.example", "PIPELINING", "8BITMIME")))
                .isEqualTo("250-relay.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        assertThat(encode(SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>")))
                .isEqualTo("354 End data with <CR><LF>.<CR><LF>\r\n");
    }

    @Test
    void multiDigitStatusParts() {
        assertThat(encode(SmtpReply.of(451, "4.4.10", "x"))).isEqualTo("451 4.4.10 x\r\n");
        assertThat(encode(SmtpReply.of(550, "5.123.999", "x"))).isEqualTo("550 5.123.999 x\r\n");
    }

    @Test
    void encoderWritesToTheChannel() {
        EmbeddedChannel channel = new EmbeddedChannel(SmtpReplyEncoder.INSTANCE);
        channel.writeOutbound(SmtpReply.of(221, "2.0.0", "Bye"));
        ByteBuf out = channel.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("221 2.0.0 Bye\r\n");
        out.release();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void positive() {
        assertThat(SmtpReply.of(250, null, "x").isPositive()).isTrue();
        assertThat(SmtpReply.of(354, null, "x").isPositive()).isTrue();
        assertThat(SmtpReply.of(421, "4.3.2", "x").isPositive()).isFalse();
        assertThat(SmtpReply.of(554, "5.0.0", "x").isPositive()).isFalse();
    }

    @Test
    void invalidReplies() {
        assertThatThrownBy(() -> SmtpReply.of(250, "5.0.0", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.of(600, null, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.of(250, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.of(250, null, "a\r\n250 b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void enhancedStatusRoundTrip() {
        assertThat(EnhancedStatus.parse("2.0.0")).isEqualTo(new EnhancedStatus(2, 0, 0)).hasToString("2.0.0");
        assertThat(EnhancedStatus.parse("5.7.26")).hasToString("5.7.26");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2", "2.0", "3.0.0", "2.0.0.0", "2..0", "2.a.0", "2.1000.0", "22.0.0", " 2.0.0"})
    void badEnhancedStatus(String text) {
        assertThatThrownBy(() -> EnhancedStatus.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String encode(SmtpReply reply) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer();
        try {
            reply.encode(buf);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }
}
