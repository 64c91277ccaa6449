package dev.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.smtp.SmtpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SmtpReplyDecoder} fed whole, byte by byte and in random chunks through {@link EmbeddedChannel}; every
 * input buffer must be released, and every way of chunking must give the same replies and the same failure.
 */
class SmtpReplyDecoderTest {
    private static final int MAX_LINE = 64;
    private static final int MAX_LINES = 5;
    private static final int MAX_BYTES = 200;

    /** What the decoder made of one input: the replies ("code|line|line") and then the failure, if any. */
    private static List<String> decodeAllWays(byte[] bytes) {
        List<String> whole = decode(bytes, new int[] {bytes.length});
        int[] single = new int[bytes.length];
        Arrays.fill(single, 1);
        assertThat(decode(bytes, single)).as("byte by byte").isEqualTo(whole);
        for (long seed = 1; seed <= 8; seed++) {
            assertThat(decode(bytes, DecoderHarness.randomChunks(bytes.length, new Random(seed))))
                    .as("random chunks, seed %d", seed).isEqualTo(whole);
        }
        return whole;
    }

    private static List<String> decodeAllWays(String input) {
        return decodeAllWays(input.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> decode(byte[] bytes, int[] chunks) {
        List<String> events = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new SmtpReplyDecoder(MAX_LINE, MAX_LINES, MAX_BYTES),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        SmtpResponse r = (SmtpResponse) msg;
                        events.add(r.code() + "|" + String.join("|", r.details()));
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        events.add("FAIL " + cause.getClass().getSimpleName());
                    }
                });
        List<ByteBuf> written = new ArrayList<>();
        int offset = 0;
        for (int chunk : chunks) {
            ByteBuf buf = Unpooled.directBuffer(chunk).writeBytes(bytes, offset, chunk);
            written.add(buf);
            channel.writeInbound(buf);
            offset += chunk;
        }
        channel.finishAndReleaseAll();
        for (ByteBuf buf : written) {
            assertThat(buf.refCnt()).as("input buffer released").isZero();
        }
        return events;
    }

    @Test
    void singleAndMultiLineReplies() {
        assertThat(decodeAllWays("220 mx.test ESMTP\r\n250-mx.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"))
                .containsExactly("220|mx.test ESMTP", "250|mx.test|PIPELINING|SIZE 1000");
    }

    @Test
    void codeAloneAndBareLineFeeds() {
        assertThat(decodeAllWays("250\r\n354 go ahead\n221-bye\n221\r\n"))
                .containsExactly("250|", "354|go ahead", "221|bye");
    }

    @Test
    void controlCharactersAndNulBecomeQuestionMarks() {
        byte[] input = "550 5.1.1 no\0such\u0007user\u001b[31m\ttab\u007f\u0085 \u00e9t\u00e9\r\n"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(decodeAllWays(input)).containsExactly("550|5.1.1 no?such?user?[31m?tab?? \u00e9t\u00e9");
    }

    @Test
    void invalidUtf8BecomesReplacementCharacters() {
        byte[] input = {'2', '5', '0', ' ', 'o', 'k', (byte) 0xff, (byte) 0xc3, '\r', '\n'};
        assertThat(decodeAllWays(input)).singleElement().satisfies(r -> {
            assertThat(r).startsWith("250|ok").doesNotContain("\r");
            assertThat(r.chars().skip(6).allMatch(c -> c == '\ufffd')).isTrue();
        });
    }

    @Test
    void endlessContinuationFailsAtTheLineLimit() {
        String flood = "220-hello\r\n".repeat(1000);
        assertThat(decodeAllWays(flood)).containsExactly("FAIL " + TooLongFrameException.class.getSimpleName());
    }

    @Test
    void replyAtTheLineLimitPassesOneMoreFails() {
        assertThat(decodeAllWays("250-a\r\n".repeat(MAX_LINES - 1) + "250 a\r\n"))
                .containsExactly("250|" + String.join("|", List.of("a", "a", "a", "a", "a")));
        assertThat(decodeAllWays("250-a\r\n".repeat(MAX_LINES) + "250 a\r\n"))
                .containsExactly("FAIL TooLongFrameException");
    }

    @Test
    void replyOverTheByteLimitFails() {
        String line = "250-" + "x".repeat(MAX_LINE - 4) + "\r\n"; // 66 octets on the wire
        assertThat(decodeAllWays(line.repeat(3) + "250 end\r\n"))
                .containsExactly("FAIL TooLongFrameException");
        assertThat(decodeAllWays(line.repeat(2) + "250 end\r\n")).hasSize(1).first().asString().startsWith("250|");
    }

    @Test
    void longLineWithoutLineEndFailsWithoutWaitingForIt() {
        byte[] mebibyte = new byte[1 << 20];
        Arrays.fill(mebibyte, (byte) 'x');
        System.arraycopy("220 ".getBytes(StandardCharsets.US_ASCII), 0, mebibyte, 0, 4);
        assertThat(decode(mebibyte, new int[] {mebibyte.length})).containsExactly("FAIL TooLongFrameException");
        int[] chunks = new int[mebibyte.length / 1024];
        Arrays.fill(chunks, 1024);
        assertThat(decode(mebibyte, chunks)).as("one failure, the rest discarded")
                .containsExactly("FAIL TooLongFrameException");
    }

    @Test
    void lineOneOctetOverTheLimitFails() {
        assertThat(decodeAllWays("250 " + "x".repeat(MAX_LINE - 4) + "\r\n")).hasSize(1).first().asString()
                .startsWith("250|");
        assertThat(decodeAllWays("250 " + "x".repeat(MAX_LINE - 3) + "\r\n"))
                .containsExactly("FAIL TooLongFrameException");
    }

    @Test
    void malformedLinesFailAndNothingAfterIsDecoded() {
        for (String bad : List.of("hello\r\n", "25\r\n", "2x0 ok\r\n", "250+ok\r\n", "\r\n")) {
            assertThat(decodeAllWays(bad + "250 ok\r\n")).as(bad)
                    .containsExactly("FAIL " + CorruptedFrameException.class.getSimpleName());
        }
    }

    @Test
    void aReplyAfterAFullOneStartsAfresh() {
        String four = "250-a\r\n".repeat(MAX_LINES - 1) + "250 a\r\n";
        assertThat(decodeAllWays(four + four)).hasSize(2);
    }
}
