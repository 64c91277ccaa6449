package dev.relay.protocol;

import static dev.relay.protocol.DecoderHarness.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpServerDecoderTest {
    private final DecoderHarness harness = new DecoderHarness();

    @Test
    void commandsAreSplitIntoVerbAndArgument() {
        assertThat(harness.decodeAllWays("ehlo client.example\r\nMAIL FROM:<a@b> SIZE=10\r\n"
                + "RCPT   TO:<c@d>\r\nfoo bar\r\nQUIT\r\n"))
                .containsExactly(
                        "CMD EHLO [client.example]",
                        "CMD MAIL [FROM:<a@b> SIZE=10]",
                        "CMD RCPT [TO:<c@d>]",
                        "CMD UNKNOWN [bar]",
                        "CMD QUIT []");
    }

    @Test
    void verbsMatchOnlyAsciiCaseInsensitively() {
        String dotlessI = new String("QU\u0131T\r\nquit\r\n".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        assertThat(harness.decodeAllWays(dotlessI)).containsExactly("CMD UNKNOWN []", "CMD QUIT []");
    }

    @Test
    void commandKeepsWholeLine() {
        EmbeddedChannel channel = new EmbeddedChannel(new SmtpServerDecoder());
        channel.writeInbound(ascii("Mail From:<x@y>\r\n"));
        SmtpCommand command = channel.readInbound();
        assertThat(command).isEqualTo(new SmtpCommand(Verb.MAIL, "From:<x@y>", "Mail From:<x@y>"));
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void pipelinedDataSwitchesModeBeforeTheNextBytesAreDecoded() {
        assertThat(harness.decodeAllWays("DATA\r\nhello\r\n.\r\nQUIT\r\n"))
                .containsExactly(
                        "CMD DATA []",
                        "DATA hello\r\n",
                        "END " + stats(7, false, false, false, false, 0),
                        "CMD QUIT []");
    }

    @Test
    void emptyMessageEndsRightAfter354() {
        assertThat(harness.decodeAllWays("DATA\r\n.\r\nNOOP\r\n"))
                .containsExactly("CMD DATA []", "END " + stats(0, false, false, false, false, 0), "CMD NOOP []");
    }

    @Test
    void dotStuffingIsRemovedOnlyAtLineStarts() {
        assertThat(harness.decodeAllWays("DATA\r\n..leading\r\na.b\r\n...\r\n.\r\n"))
                .containsExactly("CMD DATA []", "DATA .leading\r\na.b\r\n..\r\n",
                        "END " + stats(19, false, false, false, false, 0));
    }

    @Test
    void tooLongCommandIsDiscardedWithOneError() {
        String longLine = "NOOP " + "x".repeat(2000) + "\r\n";
        assertThat(harness.decodeAllWays(longLine + "QUIT\r\n"))
                .containsExactly("ERR TOO_LONG", "CMD QUIT []");
    }

    @Test
    void commandLengthLimitIncludesCrlf() {
        DecoderHarness small = new DecoderHarness(DecoderHarness.MAX_SIZE, 10, 1000);
        assertThat(small.decodeAllWays("NOOP 123\r\nNOOP 1234\r\nNOOP\r\n"))
                .containsExactly("CMD NOOP [123]", "ERR TOO_LONG", "CMD NOOP []");
    }

    @Test
    void unterminatedLongInputIsNotBuffered() {
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        for (int i = 0; i < 100; i++) {
            channel.writeInbound(ascii("x".repeat(1000)));
            assertThat(decoder.bufferedBytes()).isLessThan(512);
        }
        channel.writeInbound(ascii("\r\nNOOP\r\n"));
        assertThat(((CommandLineError) channel.readInbound()).kind()).isEqualTo(CommandLineError.Kind.TOO_LONG);
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.NOOP);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void nulInCommandIsRejected() {
        assertThat(harness.decodeAllWays("NOOP a\0b\r\nQUIT\r\n")).containsExactly("ERR NUL_BYTE", "CMD QUIT []");
    }

    @Test
    void bareLineEndingsInCommandsAreNeverExecuted() {
        assertThat(harness.decodeAllWays("NOOP\nRSET\rQUIT\r\n\nHELP\r\n"))
                .containsExactly("ERR BARE_LINE_ENDING", "ERR BARE_LINE_ENDING", "ERR BARE_LINE_ENDING",
                        "CMD HELP []");
    }

    @Test
    void utf8CommandsAreDecodedAndMalformedOnesRejected() {
        String utf8 = new String("RCPT TO:<jos\u00e9@example.com>\r\n".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        assertThat(harness.decodeAllWays(utf8 + "NOOP \u00ff\u00fe\r\nNOOP \u00c3\r\n"))
                .containsExactly("CMD RCPT [TO:<jos\u00e9@example.com>]", "ERR INVALID_UTF8", "ERR INVALID_UTF8");
    }

    @Test
    void overlongUtf8IsRejected() {
        assertThat(harness.decodeAllWays("NOOP \u00c0\u00af\r\n")).containsExactly("ERR INVALID_UTF8");
    }

    @Test
    void eightBitNulAndLongLinesInDataAreReported() {
        String input = "DATA\r\n" + "\u00e9t\u00e9\0\r\n" + "y".repeat(999) + "\r\n.\r\n";
        List<String> events = harness.decodeAllWays(input);
        assertThat(events).hasSize(3);
        assertThat(events.get(2)).isEqualTo("END " + stats(6 + 1001, false, true, true, true, 0));
    }

    @Test
    void nulAndEightBitAreFoundAtEveryPositionOfALine() {
        for (int position = 0; position < 40; position++) {
            for (char octet : new char[] {'\0', '\u0080', '\u00ff', '\u0001', '\u007f'}) {
                char[] line = "x".repeat(40).toCharArray();
                line[position] = octet;
                List<String> events = harness.decode(
                        ("DATA\r\n" + new String(line) + "\r\n.\r\n").getBytes(StandardCharsets.ISO_8859_1),
                        new int[] {6 + position, 45 - position});
                assertThat(events.get(2)).as("0x%x at %d", (int) octet, position)
                        .isEqualTo("END " + stats(42, false, false, octet == 0, octet >= 0x80, 0));
            }
        }
    }

    @Test
    void textLineOfExactlyTheLimitIsFine() {
        String input = "DATA\r\n" + "y".repeat(998) + "\r\n.\r\n";
        assertThat(harness.decodeAllWays(input).get(2)).isEqualTo("END " + stats(1000, false, false, false, false, 0));
    }

    @Test
    void sizeExceededKeepsReadingToTheEndAndDropsTheRest() {
        DecoderHarness small = new DecoderHarness(10, 512, 1000);
        assertThat(small.decodeAllWays("DATA\r\n12345678\r\nabcdefgh\r\n.\r\nQUIT\r\n"))
                .containsExactly("CMD DATA []", "DATA 12345678\r\n",
                        "END " + stats(20, true, false, false, false, 0), "CMD QUIT []");
    }

    @Test
    void bdatChunksNormaliseBareLineEndingsAndStatsAccumulate() {
        String input = "BDAT 7\r\n.a\nb\rcdBDAT 6 LAST\r\n\u00e9\r\n.\r\nQUIT\r\n";
        assertThat(harness.decodeAllWays(input))
                .containsExactly(
                        "CMD BDAT [7]",
                        "DATA .a\r\nb\r\ncd",
                        "CHUNK 7 " + stats(9, false, false, false, false, 2),
                        "CMD BDAT [6 LAST]",
                        "DATA \u00e9\r\n.\r\n",
                        "CHUNK 6 " + stats(15, false, false, false, true, 2),
                        "CMD QUIT []");
    }

    @Test
    void bdatCannotSmuggleAnEndOfDataMarker() {
        // What a next hop that accepts bare line endings would take for the end of DATA, then a second message.
        String chunk = "a\n.\nMAIL FROM:<x@y>\r\nb\r.\r";
        String input = "BDAT " + chunk.length() + " LAST\r\n" + chunk + "QUIT\r\n";
        assertThat(harness.decodeAllWays(input))
                .containsExactly(
                        "CMD BDAT [" + chunk.length() + " LAST]",
                        "DATA a\r\n.\r\nMAIL FROM:<x@y>\r\nb\r\n.\r\n",
                        "CHUNK " + chunk.length() + " " + stats(29, false, false, false, false, 4),
                        "CMD QUIT []");
    }

    @Test
    void bdatCrlfSplitAcrossChunksIsOneLineEnding() {
        assertThat(harness.decodeAllWays("BDAT 2\r\nx\rBDAT 2 LAST\r\n\nyNOOP\r\n"))
                .containsExactly("CMD BDAT [2]", "DATA x\r", "CHUNK 2 " + stats(2, false, false, false, false, 0),
                        "CMD BDAT [2 LAST]", "DATA \ny", "CHUNK 2 " + stats(4, false, false, false, false, 0),
                        "CMD NOOP []");
        assertThat(harness.decodeAllWays("BDAT 2\r\nx\rBDAT 1 LAST\r\nyNOOP\r\n"))
                .containsExactly("CMD BDAT [2]", "DATA x\r", "CHUNK 2 " + stats(2, false, false, false, false, 0),
                        "CMD BDAT [1 LAST]", "DATA \ny", "CHUNK 1 " + stats(4, false, false, false, false, 1),
                        "CMD NOOP []");
    }

    @Test
    void bdatSecondMessageResetsStats() {
        String input = "BDAT 2 LAST\r\n\0\0BDAT 1 LAST\r\nxQUIT\r\n";
        assertThat(harness.decodeAllWays(input))
                .containsExactly("CMD BDAT [2 LAST]", "DATA \0\0", "CHUNK 2 " + stats(2, false, false, true, false, 0),
                        "CMD BDAT [1 LAST]", "DATA x", "CHUNK 1 " + stats(1, false, false, false, false, 0),
                        "CMD QUIT []");
    }

    @Test
    void bdatOverTheLimitIsReadButNotEmitted() {
        DecoderHarness small = new DecoderHarness(4, 512, 1000);
        assertThat(small.decodeAllWays("BDAT 3\r\nabcBDAT 3 LAST\r\ndefNOOP\r\n"))
                .containsExactly("CMD BDAT [3]", "DATA abc", "CHUNK 3 " + stats(3, false, false, false, false, 0),
                        "CMD BDAT [3 LAST]", "DATA d", "CHUNK 3 " + stats(6, true, false, false, false, 0), "CMD NOOP []");
    }

    @Test
    void zeroSizeChunkIsTheSessionsJob() {
        assertThatThrownBy(() -> new SmtpServerDecoder().expectChunk(0, 10, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void authResponseIsOneLineThenCommandsAgain() {
        assertThat(harness.decodeAllWays("AUTH PLAIN\r\nAUTH PLAIN\r\nAUTH PLAIN\r\n*\r\nNOOP\r\n"))
                .containsExactly("CMD AUTH [PLAIN]", "AUTH [AUTH PLAIN]", "CMD AUTH [PLAIN]", "AUTH [*]",
                        "CMD NOOP []");
    }

    @Test
    void authResponseMayBeLongerThanACommand() {
        String base64 = "QUJD".repeat(3000); // 12000 octets
        assertThat(harness.decodeAllWays("AUTH LOGIN\r\n" + base64 + "\r\nNOOP\r\n"))
                .containsExactly("CMD AUTH [LOGIN]", "AUTH [" + base64 + "]", "CMD NOOP []");
        assertThat(harness.decodeAllWays("AUTH LOGIN\r\n" + "A".repeat(13000) + "\r\nNOOP\r\n"))
                .containsExactly("CMD AUTH [LOGIN]", "ERR TOO_LONG", "CMD NOOP []");
    }

    @Test
    void starttlsDiscardsPipelinedPlaintext() {
        byte[] input = "STARTTLS\r\nMAIL FROM:<evil@example>\r\n".getBytes(StandardCharsets.US_ASCII);
        List<String> whole = new DecoderHarness().decode(input, new int[] {input.length});
        assertThat(whole).containsExactly("CMD STARTTLS []");
    }

    @Test
    void pausedDecoderKeepsPipelinedInputUntilResumedInTheModeTheSessionSet() {
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        List<Object> seen = new java.util.ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(decoder, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
                if (msg instanceof SmtpCommand command && command.verb() == Verb.MAIL) {
                    decoder.pause(); // the session awaits something asynchronous
                } else if (msg instanceof SmtpCommand command && command.verb() == Verb.BDAT) {
                    decoder.expectChunk(5, 1000, true);
                }
            }
        });
        channel.writeInbound(ascii("MAIL FROM:<a@b>\r\nBDAT 5 LAST\r\nhelloQUIT\r\n"));
        assertThat(seen).hasSize(1);
        decoder.resume(channel.pipeline().context(decoder));
        assertThat(seen).hasSize(5);
        assertThat(((SmtpCommand) seen.get(1)).verb()).isEqualTo(Verb.BDAT);
        DataContent chunk = (DataContent) seen.get(2);
        assertThat(chunk.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        chunk.release();
        assertThat(seen.get(3)).isInstanceOf(ChunkEnd.class);
        assertThat(((SmtpCommand) seen.get(4)).verb()).isEqualTo(Verb.QUIT);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void discardDropsOnlyWhatIsBuffered() {
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(ascii("STARTTLS\r\nNOOP\r\nRSET"));
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.STARTTLS);
        // The session handled both commands synchronously here in real life; emulate the discard.
        decoder.discardBufferedInput();
        channel.writeInbound(ascii("EHLO x\r\n"));
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.NOOP);
        // "RSET" was dropped, so the new line is not read as "RSETEHLO x".
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.EHLO);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void closeMidDataReleasesEverything() {
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(ascii("DATA\r\n"));
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.DATA);
        decoder.expectData(1000);
        ByteBuf partial = ascii("partial line without end\r\n.");
        channel.writeInbound(partial);
        DataContent content = channel.readInbound();
        content.release();
        ByteBuf tail = ascii("\r");
        channel.writeInbound(tail);
        channel.finishAndReleaseAll();
        assertThat(partial.refCnt()).isZero();
        assertThat(tail.refCnt()).isZero();
    }

    @Test
    void removingTheDecoderMidLineHandsOnTheRawBytes() {
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        ByteBuf buf = ascii("NOOP\r\nQUI");
        channel.writeInbound(buf);
        assertThat(((SmtpCommand) channel.readInbound()).verb()).isEqualTo(Verb.NOOP);
        channel.pipeline().remove(decoder);
        ByteBuf rest = channel.readInbound();
        assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("QUI");
        rest.release();
        assertThat(channel.finishAndReleaseAll()).isFalse();
        assertThat(buf.refCnt()).isZero();
    }

    @Test
    void closeWithUnterminatedCommandDoesNotExecuteIt() {
        EmbeddedChannel channel = new EmbeddedChannel(new SmtpServerDecoder());
        ByteBuf buf = ascii("QUIT");
        channel.writeInbound(buf);
        assertThat(channel.finish()).isFalse();
        assertThat(buf.refCnt()).isZero();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }
}
